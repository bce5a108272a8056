// W7: progress ingestion, by calling bench/progress.ts (1M events; 200k with --quick) and
// reading its figures: events/s of the live follower and from scratch, RSS after reading them
// all, and the status lag polling every 100 ms. The peers have no progress channel.
import { join } from 'node:path';
import { run } from '../lib/command.ts';
import { addRow, type BenchContext, type Workload } from './context.ts';

const num = (text: string | undefined) =>
  text === undefined ? Number.NaN : Number(text.replaceAll(',', ''));

export const w7Progress: Workload = {
  id: 'W7',
  title: 'progress',
  async run(ctx: BenchContext) {
    const iterations = ctx.quick ? 100_000 : 500_000;
    const ran = await run(
      { argv: [process.execPath, join(ctx.root, 'bench/progress.ts'), String(iterations)], env: process.env },
      300_000,
    );
    const out = ran.stdout;
    const events = num(/job wrote (\d+) events/.exec(out)?.[1]);
    const subject = { name: 'runwarden', role: 'subject' } as const;
    const base = { workload: 'W7', better: 'higher' } as const;
    const label = `${Math.round(events / 1000)}k events`;
    addRow(ctx, subject, {
      ...base,
      key: 'w7.live',
      measure: `${label}: events/s ingested while the job writes (follower busy time)`,
      unit: 'events/s',
      samples: [num(/busy \d+ ms: ([\d,]+) events\/s/.exec(out)?.[1])],
    });
    addRow(ctx, subject, {
      ...base,
      key: 'w7.scratch',
      measure: `${label}: events/s read from scratch`,
      unit: 'events/s',
      samples: [num(/from scratch: .*: ([\d,]+) events\/s/.exec(out)?.[1])],
    });
    addRow(ctx, subject, {
      ...base,
      better: 'lower',
      key: 'w7.rss',
      measure: `${label}: reader RSS after reading them all`,
      unit: 'MiB',
      samples: [num(/RSS (\d+) MiB/.exec(out)?.[1])],
    });
    addRow(ctx, subject, {
      ...base,
      better: 'lower',
      key: 'w7.lag',
      measure: 'status lag, polling every 100 ms (p50)',
      unit: 'ms',
      samples: [num(/lag, polling every 100 ms: p50 (\d+) ms/.exec(out)?.[1])],
    });
    if (ran.code !== 0)
      ctx.skipped.push(`W7: bench/progress.ts exited ${ran.code}: ${ran.stderr.trim().slice(0, 300)}`);
    ctx.skipped.push('W7 for pm2, supervisord, task-spooler, baseline: no progress channel (only logs)');
  },
};
