// W11: the scaling curves of bench/scaling.ts (list/show/idle status/GET /api/runs at growing
// history sizes, serve RSS, status and abort of a live run at growing event counts and with a
// 1 GiB log), one row per command and size; the ratio to the smallest size is in the note.
import { join } from 'node:path';
import { run } from '../lib/command.ts';
import { addRow, type BenchContext, type Workload } from './context.ts';

/** The rows of scaling.ts's markdown table: command, size, value with its unit, ratio. */
export function scalingRows(
  table: string,
): { what: string; size: string; value: number; unit: string; ratio: string }[] {
  const rows = [];
  for (const line of table.split('\n')) {
    const m = /^\| (.+?) \| (.+?) \| ([\d.]+) (\S+) \| ([\d.]+x) \|$/.exec(line);
    if (m === null) continue;
    rows.push({
      what: m[1] ?? '',
      size: m[2] ?? '',
      value: Number(m[3]),
      unit: m[4] ?? '',
      ratio: m[5] ?? '',
    });
  }
  return rows;
}

export const w11Scaling: Workload = {
  id: 'W11',
  title: 'scaling',
  async run(ctx: BenchContext) {
    const argv = [process.execPath, join(ctx.root, 'bench/scaling.ts'), ...(ctx.quick ? ['--quick'] : [])];
    const ran = await run({ argv, env: process.env }, 1_800_000);
    for (const row of scalingRows(ran.stdout)) {
      addRow(
        ctx,
        { name: 'runwarden', role: 'subject' },
        {
          key: `w11.${row.what.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.${row.size.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`,
          workload: 'W11',
          measure: `${row.what} at ${row.size} (median)`,
          unit: row.unit,
          better: 'lower',
          samples: [row.value],
          note: `${row.ratio} the smallest size`,
        },
      );
    }
    if (ran.code !== 0)
      ctx.skipped.push(`W11: bench/scaling.ts exited ${ran.code}: ${ran.stderr.trim().slice(-300)}`);
    ctx.skipped.push('W11 for the peers: they keep no run history or progress state to scale with');
  },
};
