// W10 (issue 12): the queue's figures, by calling bench/queue.ts: submit and list 1,000 entries,
// exit -> next queued job's first instruction with no runwarden process alive (target <= 50 ms),
// submit against tsp, status with 8 slots and 1,000 queued against one run. Its lines are printed
// under the table (they compare runwarden with itself and with tsp in ways the table's rows do not).
import { join } from 'node:path';
import { run } from '../lib/command.ts';
import { addRow, type BenchContext, type Workload } from './context.ts';

export const w10Queue: Workload = {
  id: 'W10',
  title: 'queue',
  async run(ctx: BenchContext) {
    const ran = await run(
      {
        argv: [process.execPath, join(ctx.root, 'bench/queue.ts'), ...(ctx.quick ? ['--quick'] : [])],
        env: process.env,
      },
      900_000,
    );
    for (const line of ran.stdout.split('\n')) if (line.startsWith('Q')) ctx.log(line);
    const gap = /^Q2 exit -> .*?: median ([\d.]+) ms \(min ([\d.]+), p90 ([\d.]+), max ([\d.]+)/m.exec(
      ran.stdout,
    );
    if (gap !== null)
      addRow(
        ctx,
        { name: 'runwarden', role: 'subject' },
        {
          key: 'w10.next',
          workload: 'W10',
          measure:
            'exit -> next queued job first instruction, no runwarden process alive (min/median/p90/max)',
          unit: 'ms',
          better: 'lower',
          samples: [Number(gap[2]), Number(gap[1]), Number(gap[3]), Number(gap[4])],
        },
      );
    if (ran.code !== 0)
      ctx.skipped.push(`W10: bench/queue.ts exited ${ran.code}: ${ran.stderr.trim().slice(0, 300)}`);
  },
};
