// W6: RSS of everything a tool keeps running, idle and with N sleeping jobs: per job
// ((with N − idle) / N) and in total.
import { pollUntil } from '../lib/command.ts';
import { bodies, clearPid, type JobSpec, pidOf } from '../lib/jobs.ts';
import { addRow, type BenchContext, jobFor, managerPids, rssMb, type Workload } from './context.ts';

export const w6Footprint: Workload = {
  id: 'W6',
  title: 'footprint',
  async run(ctx: BenchContext) {
    const count = ctx.quick ? 3 : 10;
    for (const tool of ctx.tools) {
      const idleMb = rssMb(managerPids(tool, []));
      const jobs: JobSpec[] = [];
      for (let i = 0; i < count; i++) jobs.push(await jobFor(ctx, tool, `w6-${i}`, bodies.sleeper));
      for (const job of jobs) {
        clearPid(job);
        await tool.peer.start(job);
      }
      const pids = await pollUntil(
        () => {
          const all = jobs.map(pidOf);
          return all.every((p) => p !== null) ? (all as number[]) : null;
        },
        20_000,
        10,
      );
      const totalMb = rssMb(managerPids(tool, pids ?? []));
      for (const job of jobs) await tool.peer.stop(job);
      for (const job of jobs) await tool.peer.reset(job);
      const base = { workload: 'W6', unit: 'MiB', better: 'lower' } as const;
      addRow(ctx, tool, {
        ...base,
        key: 'w6.per-job',
        measure: `RSS the tool keeps per job (${count} jobs)`,
        samples: [(totalMb - idleMb) / count],
      });
      addRow(ctx, tool, {
        ...base,
        key: 'w6.total',
        measure: `RSS the tool keeps in total with ${count} jobs`,
        samples: [totalMb],
      });
    }
  },
};
