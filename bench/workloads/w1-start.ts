// W1: from invoking each tool's start command to the job's first instruction (the job writes
// CLOCK_MONOTONIC first thing); rounds interleave the tools.
import { nowNs, pollUntil } from '../lib/command.ts';
import { bodies, type JobSpec, marksOf } from '../lib/jobs.ts';
import { addRow, type BenchContext, jobFor, rotated, type Tool, type Workload } from './context.ts';

/** One start → first instruction sample in ms (NaN when the mark never came). */
async function once(tool: Tool, job: JobSpec): Promise<number> {
  const before = marksOf(job).length;
  const t0 = nowNs();
  await tool.peer.start(job);
  const mark = await pollUntil(() => marksOf(job)[before] ?? null, 10_000, 1);
  await tool.peer.waitExited(job, 10_000);
  await tool.peer.reset(job);
  return mark === null ? Number.NaN : Number(mark - t0) / 1e6;
}

export const w1Start: Workload = {
  id: 'W1',
  title: 'start → first instruction',
  async run(ctx: BenchContext) {
    const rounds = ctx.quick ? 6 : 20;
    const jobs = new Map<Tool, JobSpec>();
    const samples = new Map<Tool, number[]>();
    for (const tool of ctx.tools) {
      jobs.set(tool, await jobFor(ctx, tool, 'w1', bodies.firstMark));
      samples.set(tool, []);
    }
    for (let round = 0; round < rounds; round++) {
      for (const tool of rotated(ctx.tools, round)) {
        samples.get(tool)?.push(await once(tool, jobs.get(tool) as JobSpec));
      }
    }
    for (const tool of ctx.tools) {
      addRow(ctx, tool, {
        key: 'w1.start',
        workload: 'W1',
        measure: 'start command → job first instruction',
        unit: 'ms',
        better: 'lower',
        samples: samples.get(tool) ?? [],
      });
    }
  },
};
