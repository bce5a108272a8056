// W4: each tool's stop command on a job that exits 0.3 s after SIGINT/SIGTERM, and on one that
// ignores both (grace 1 s wherever it can be set); both start `sleep 1000 &`. Time from the stop
// command to the job's process being gone (its pid polled every 2 ms, as the peers' harnesses
// do: polling every /proc/*/stat that often cost half a core while the stop booted and overstated
// every tool's time), then the processes of its group left behind once it settled (ended by the
// bench, by PID).
import { nowNs, pollUntil } from '../lib/command.ts';
import { bodies, clearPid, type JobSpec, pidOf } from '../lib/jobs.ts';
import { cmdline, groupMembers, isAlive, killPid, procInfo, taggedPids, treeOf } from '../lib/proc.ts';
import { addRow, type BenchContext, jobFor, rotated, type Tool, type Workload } from './context.ts';

/** One stop: ms to the job gone (NaN if it never was within the bound) and the group's leftovers. */
async function once(tool: Tool, job: JobSpec): Promise<{ ms: number; leaked: number }> {
  clearPid(job);
  await tool.peer.start(job);
  const pid = await pollUntil(() => pidOf(job), 10_000, 2);
  const pgid = pid === null ? null : (procInfo(pid)?.pgid ?? null);
  if (pid === null || pgid === null || pgid <= 1) return { ms: Number.NaN, leaked: 0 };
  const t0 = nowNs();
  const stopping = tool.peer.stop(job);
  const gone = await pollUntil(() => (isAlive(pid) ? null : nowNs()), job.graceMs + 3_000, 2);
  await stopping;
  // What the tool leaves of the group: looked at every 50 ms for up to 1 s, not timed.
  await pollUntil(() => (groupMembers(pgid).length === 0 ? true : null), 1_000, 50);
  const left = new Set([
    ...groupMembers(pgid),
    ...[...treeOf([pid])].filter(isAlive),
    ...taggedPids(tool.tag).filter((p) => cmdline(p) === 'sleep 1000'),
  ]);
  for (const p of left) killPid(p, 'SIGKILL');
  await tool.peer.waitExited(job, 5_000);
  await tool.peer.reset(job);
  return { ms: gone === null ? Number.NaN : Number(gone - t0) / 1e6, leaked: left.size };
}

/** Both variants for every tool, rounds interleaved. */
export const w4Stop: Workload = {
  id: 'W4',
  title: 'stop',
  async run(ctx: BenchContext) {
    const rounds = ctx.quick ? 2 : 5;
    const variants = [
      {
        key: 'w4.soft',
        body: bodies.trapsSignal,
        measure: 'stop → job gone, job exits 0.3 s after the signal',
      },
      {
        key: 'w4.hard',
        body: bodies.ignoresSignals,
        measure: 'stop → job gone, job ignores SIGINT/SIGTERM, grace 1 s',
      },
    ];
    for (const variant of variants) {
      const jobs = new Map<Tool, JobSpec>();
      const times = new Map<Tool, number[]>();
      const leaks = new Map<Tool, number[]>();
      for (const tool of ctx.tools) {
        jobs.set(tool, await jobFor(ctx, tool, variant.key.replace('.', '-'), variant.body, 1_000));
        times.set(tool, []);
        leaks.set(tool, []);
      }
      for (let round = 0; round < rounds; round++) {
        for (const tool of rotated(ctx.tools, round)) {
          const result = await once(tool, jobs.get(tool) as JobSpec);
          times.get(tool)?.push(result.ms);
          leaks.get(tool)?.push(result.leaked);
        }
      }
      for (const tool of ctx.tools) {
        const t = times.get(tool) ?? [];
        const never = t.filter((x) => Number.isNaN(x)).length;
        const note = never > 0 ? `job never gone in ${never}/${t.length}` : undefined;
        addRow(ctx, tool, {
          key: variant.key,
          workload: 'W4',
          measure: variant.measure,
          unit: 'ms',
          better: 'lower',
          samples: t,
          note,
        });
      }
      for (const tool of ctx.tools) {
        addRow(ctx, tool, {
          key: `${variant.key}.leaked`,
          workload: 'W4',
          measure: `processes left after the stop (${variant.key === 'w4.soft' ? 'exits on signal' : 'ignores signals'})`,
          unit: 'count',
          better: 'lower',
          samples: leaks.get(tool) ?? [],
        });
      }
    }
  },
};
