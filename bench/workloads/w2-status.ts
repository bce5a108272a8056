// W2: wall time of each tool's status command as a whole process with one job running, and
// `node -e 0` (the floor of any Node CLI) interleaved with runwarden's.
import { pollUntil, run } from '../lib/command.ts';
import { bodies, clearPid, pidOf } from '../lib/jobs.ts';
import { addRow, type BenchContext, jobFor, type Workload } from './context.ts';

export const w2Status: Workload = {
  id: 'W2',
  title: 'status',
  async run(ctx: BenchContext) {
    const runs = ctx.quick ? 10 : 30;
    for (const tool of ctx.tools) {
      const job = await jobFor(ctx, tool, 'w2', bodies.sleeper);
      clearPid(job);
      await tool.peer.start(job);
      await pollUntil(() => pidOf(job), 10_000, 5);
      const status = tool.peer.statusCommand(job);
      const floor = { argv: [process.execPath, '-e', '0'], env: process.env };
      const withFloor = tool.peer.role === 'subject';
      await run(status); // warm the page cache, as a user's second call would find it
      if (withFloor) await run(floor);
      const samples: number[] = [];
      const floorSamples: number[] = [];
      for (let i = 0; i < runs; i++) {
        const ran = await run(status);
        // supervisorctl status exits 3 when a program is not running: any exit but a crash counts.
        samples.push(ran.code !== null && ran.code < 126 ? ran.ms : Number.NaN);
        if (withFloor) floorSamples.push((await run(floor)).ms);
      }
      await tool.peer.stop(job);
      await tool.peer.reset(job);
      const row = { key: 'w2.status', workload: 'W2', measure: 'status command, 1 job running', unit: 'ms' };
      addRow(ctx, tool, { ...row, better: 'lower', samples });
      if (withFloor) {
        addRow(
          ctx,
          { name: 'node -e 0 (floor)', role: 'reference' },
          { ...row, better: 'lower', samples: floorSamples },
        );
      }
    }
  },
};
