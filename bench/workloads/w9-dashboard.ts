// W9: 500 SSE clients on loopback (one never reading), by calling bench/sse-load.ts: delivery
// latency p50/p99, server RSS, GET /api/status req/s. The peers have no such server.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../lib/command.ts';
import { addRow, type BenchContext, type Workload } from './context.ts';

export const w9Dashboard: Workload = {
  id: 'W9',
  title: 'dashboard',
  async run(ctx: BenchContext) {
    const script = join(ctx.root, 'bench/sse-load.ts');
    const help = await run({
      argv: [process.execPath, join(ctx.root, 'shells/cli/bin.js'), 'serve', '--help'],
      env: process.env,
    });
    if (help.code !== 0 || !existsSync(script)) {
      ctx.skipped.push('W9: skipped: serve not available');
      return;
    }
    const events = ctx.quick ? 20 : 100;
    const ran = await run(
      { argv: [process.execPath, script, '--clients', '500', '--events', String(events)], env: process.env },
      300_000,
    );
    const out = ran.stdout;
    const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? Number.NaN);
    const subject = { name: 'runwarden serve', role: 'subject' } as const;
    const base = { workload: 'W9', better: 'lower' } as const;
    const delivered = /delivered: (\d+\/\d+)/.exec(out)?.[1] ?? '?';
    addRow(ctx, subject, {
      ...base,
      key: 'w9.p50',
      measure: `500 SSE clients, ${events} events: delivery latency p50`,
      unit: 'ms',
      samples: [num(/p50 (\d+) ms/)],
      note: `delivered ${delivered}`,
    });
    addRow(ctx, subject, {
      ...base,
      key: 'w9.p99',
      measure: `500 SSE clients, ${events} events: delivery latency p99`,
      unit: 'ms',
      samples: [num(/p99 (\d+) ms/)],
    });
    addRow(ctx, subject, {
      ...base,
      key: 'w9.rss',
      measure: 'server RSS with 500 clients',
      unit: 'MiB',
      samples: [num(/MB idle, ([\d.]+) MB with/)],
    });
    addRow(ctx, subject, {
      ...base,
      better: 'higher',
      key: 'w9.rps',
      measure: 'GET /api/status (16 keep-alive connections)',
      unit: 'req/s',
      samples: [num(/GET \/api\/status: (\d+) req\/s/)],
    });
    if (ran.code !== 0)
      ctx.skipped.push(`W9: bench/sse-load.ts exited ${ran.code}: ${ran.stderr.trim().slice(0, 300)}`);
    ctx.skipped.push('W9 for pm2, supervisord, task-spooler, baseline: no HTTP event stream');
  },
};
