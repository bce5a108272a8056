// W3: from the job's last instruction (it writes CLOCK_MONOTONIC, then exits) to the tool
// reporting the exit: runwarden's `watch`, `tsp -w`, the baseline's exit-code file, and pm2 and
// supervisord polled back to back through their CLIs; runwarden also through `serve`'s SSE stream.
import { pollUntil } from '../lib/command.ts';
import { bodies, type JobSpec, marksOf } from '../lib/jobs.ts';
import { type ServeProcess, startServe } from '../lib/serve-process.ts';
import { type Arrived, openStream, type SseStream } from '../lib/sse-client.ts';
import { RunwardenPeer } from '../peers/runwarden.ts';
import { addRow, type BenchContext, jobFor, rotated, type Tool, type Workload } from './context.ts';

/** An `ended` event, or a `status` event whose state is past the run (the exit is known). */
function reportsExit(e: Arrived): boolean {
  if (e.event === 'ended') return true;
  return e.event === 'status' && /"state":"(finalizing|idle|halted)"/.test(e.data);
}

/** The SSE side: a serve process over runwarden's W3 workspace and one reader. */
interface SseWatch {
  serve: ServeProcess;
  stream: SseStream;
}

async function openSse(ctx: BenchContext, tool: Tool, job: JobSpec): Promise<SseWatch | null> {
  if (!(tool.peer instanceof RunwardenPeer)) return null;
  const serve = await startServe(ctx.root, tool.peer.workspaceOf(job), tool.peer.context.env);
  if (serve === null) {
    ctx.skipped.push('W3 via SSE: `runwarden serve` did not answer within 15 s');
    return null;
  }
  return { serve, stream: await openStream(serve.port, '/api/events') };
}

export const w3Exit: Workload = {
  id: 'W3',
  title: 'exit detection',
  async run(ctx: BenchContext) {
    const rounds = ctx.quick ? 5 : 15;
    const jobs = new Map<Tool, JobSpec>();
    const samples = new Map<Tool, number[]>();
    const sseSamples: number[] = [];
    let sse: SseWatch | null = null;
    for (const tool of ctx.tools) {
      const job = await jobFor(ctx, tool, 'w3', bodies.lastMark);
      jobs.set(tool, job);
      samples.set(tool, []);
      sse ??= await openSse(ctx, tool, job);
    }
    try {
      for (let round = 0; round < rounds; round++) {
        for (const tool of rotated(ctx.tools, round)) {
          const job = jobs.get(tool) as JobSpec;
          const before = marksOf(job).length;
          const seenBefore = sse?.stream.events.length ?? 0;
          await tool.peer.start(job);
          const reported = await tool.peer.waitExited(job, 15_000);
          const mark = await pollUntil(() => marksOf(job)[before] ?? null, 5_000, 1);
          const ok = reported !== null && mark !== null;
          samples.get(tool)?.push(ok ? Number(reported - mark) / 1e6 : Number.NaN);
          if (sse && tool.peer.role === 'subject' && mark !== null) {
            const stream = sse.stream;
            const ended = await pollUntil(
              () => stream.events.slice(seenBefore).find((e) => e.atNs >= mark && reportsExit(e)) ?? null,
              5_000,
              5,
            );
            sseSamples.push(ended ? Number(ended.atNs - mark) / 1e6 : Number.NaN);
          }
          await tool.peer.reset(job);
        }
      }
    } finally {
      sse?.stream.close();
      await sse?.serve.stop();
    }
    const row = {
      workload: 'W3',
      measure: 'job last instruction → tool reports the exit',
      unit: 'ms',
    } as const;
    for (const tool of ctx.tools) {
      const note = tool.peer.role === 'subject' ? 'CLI: watch' : undefined;
      addRow(ctx, tool, { ...row, key: 'w3.exit', better: 'lower', samples: samples.get(tool) ?? [], note });
    }
    if (sse !== null) {
      addRow(
        ctx,
        { name: 'runwarden (SSE: first `ended`, or `status` past the run)', role: 'reference' },
        { ...row, key: 'w3.sse', better: 'lower', samples: sseSamples },
      );
    }
  },
};
