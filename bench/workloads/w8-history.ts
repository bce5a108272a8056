// W8: `runwarden list` with 10,000 ended runs (2,000 with --quick), by calling
// bench/history-list.ts. The peers keep no run history to list.
import { join } from 'node:path';
import { run } from '../lib/command.ts';
import { addRow, type BenchContext, type Workload } from './context.ts';

export const w8History: Workload = {
  id: 'W8',
  title: 'history',
  async run(ctx: BenchContext) {
    const count = ctx.quick ? 2_000 : 10_000;
    const ran = await run(
      {
        argv: [process.execPath, join(ctx.root, 'bench/history-list.ts'), '--runs', String(count)],
        env: process.env,
      },
      300_000,
    );
    const m = /min (\d+) median (\d+) max (\d+)/.exec(ran.stdout);
    // history-list.ts prints min/median/max of 7 cold runs; the three are the figures we have.
    const samples = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [];
    addRow(
      ctx,
      { name: 'runwarden', role: 'subject' },
      {
        key: 'w8.list',
        workload: 'W8',
        measure: `list --json with ${count.toLocaleString('en-US')} ended runs (min/median/max of 7)`,
        unit: 'ms',
        better: 'lower',
        samples,
      },
    );
    if (ran.code !== 0)
      ctx.skipped.push(`W8: bench/history-list.ts exited ${ran.code}: ${ran.stderr.trim().slice(0, 300)}`);
    ctx.skipped.push(
      'W8 for pm2, supervisord, baseline: no history of ended runs; task-spooler keeps at most 1,000 finished jobs',
    );
  },
};
