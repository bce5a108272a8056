// W5: a job writing zeros to stdout (1 GiB; 128 MiB with --quick) under each tool: throughput
// between the job's own first and last marks (the baseline is a plain redirect to a file), and
// the peak RSS of the tool's own processes while it ran.
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { pollUntil } from '../lib/command.ts';
import { bodies, clearPid, type JobSpec, marksOf, pidOf } from '../lib/jobs.ts';
import {
  addRow,
  type BenchContext,
  jobFor,
  managerPids,
  rotated,
  rssMb,
  type Tool,
  type Workload,
} from './context.ts';

/** One run: MiB/s of the job, peak MiB of the tool's processes. */
async function once(tool: Tool, job: JobSpec, mib: number): Promise<{ rate: number; peakMb: number }> {
  spawnSync('sync'); // dirty pages of the previous run would be flushed during this one
  const before = marksOf(job).length;
  clearPid(job);
  await tool.peer.start(job);
  let peakMb = 0;
  // Sample the tool's processes every 20 ms until the job's last mark (at most 5 minutes); nobody
  // watches meanwhile (a follower would compete for the CPU), the end is learned afterwards.
  for (let i = 0; i < 15_000 && marksOf(job).length < before + 2; i++) {
    const jobPid = pidOf(job);
    peakMb = Math.max(peakMb, rssMb(managerPids(tool, jobPid === null ? [] : [jobPid])));
    await sleep(20);
  }
  await tool.peer.waitExited(job, 60_000);
  const marks = await pollUntil(() => (marksOf(job).length >= before + 2 ? marksOf(job) : null), 5_000, 5);
  await tool.peer.reset(job);
  const first = marks?.[before];
  const last = marks?.[before + 1];
  if (first === undefined || last === undefined) return { rate: Number.NaN, peakMb };
  return { rate: mib / (Number(last - first) / 1e9), peakMb };
}

export const w5Logs: Workload = {
  id: 'W5',
  title: 'logs throughput',
  async run(ctx: BenchContext) {
    const mib = ctx.quick ? 128 : 1024;
    const rounds = ctx.quick ? 1 : 3;
    const jobs = new Map<Tool, JobSpec>();
    const rates = new Map<Tool, number[]>();
    const peaks = new Map<Tool, number[]>();
    for (const tool of ctx.tools) {
      jobs.set(tool, await jobFor(ctx, tool, 'w5', `echo $$ > "$PIDFILE"\n${bodies.writes(mib)}`));
      rates.set(tool, []);
      peaks.set(tool, []);
    }
    for (let round = 0; round < rounds; round++) {
      for (const tool of rotated(ctx.tools, round)) {
        const result = await once(tool, jobs.get(tool) as JobSpec, mib);
        rates.get(tool)?.push(result.rate);
        peaks.get(tool)?.push(result.peakMb);
      }
    }
    const size = mib >= 1024 ? `${mib / 1024} GiB` : `${mib} MiB`;
    for (const tool of ctx.tools) {
      addRow(ctx, tool, {
        key: 'w5.rate',
        workload: 'W5',
        measure: `${size} to stdout: job throughput`,
        unit: 'MiB/s',
        better: 'higher',
        samples: rates.get(tool) ?? [],
      });
    }
    for (const tool of ctx.tools) {
      addRow(ctx, tool, {
        key: 'w5.rss',
        workload: 'W5',
        measure: `${size} to stdout: peak RSS of the tool's processes`,
        unit: 'MiB',
        better: 'lower',
        samples: peaks.get(tool) ?? [],
      });
    }
  },
};
