// Proves the follower keeps up with a real job writing a million events within fixed bounds, and
// that a follower starting after 100k events ends with the same view as one that followed from
// the start — real Node jobs writing through the job helper, logs included.
import fs from 'node:fs';
import path from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { RunFollower } from '../../../runtime/progress/run-follower.ts';
import { metricPointsMax, type ProgressState, warningsMax } from '../../../runtime/progress/run-view.ts';
import { useSandbox } from '../../helpers/sandbox.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { fixture, type JobProcess, jobRunner, makeRunDir } from './job-process.ts';

const sandbox = useSandbox(jobRunner, makeRunDir);

/** Starts many-events.ts with `iterations` (two events each) and an optional pause. */
function startManyEvents(iterations: number, pauseAfter = -1): JobProcess {
  const argv = [process.execPath, fixture('many-events.ts'), String(iterations), String(pauseAfter)];
  return sandbox.current().tracker.start(sandbox.current().runDir, argv);
}

/** Events many-events.ts writes for `iterations`: progress and loss each, phases, heartbeats, checkpoints, the error. */
function eventsOf(iterations: number): number {
  return 2 * iterations + 3 + Math.floor(iterations / 100) + Math.floor(iterations / 10_000) + 1;
}

/** Polls `followers` (yielding between polls) until the job ended and each caught up; bounded. */
async function followToEnd(
  job: JobProcess,
  followers: RunFollower[],
  pollsMax = 100_000,
): Promise<ProgressState[]> {
  let ended = false;
  void job.exited.then(() => {
    ended = true;
  });
  for (let polls = 0; polls < pollsMax; polls += 1) {
    const endedBefore = ended;
    for (const follower of followers) follower.poll({ final: endedBefore });
    if (endedBefore && followers.every((follower) => follower.caughtUp)) {
      return followers.map((follower) => follower.poll({ final: true }));
    }
    await tick();
  }
  throw new Error(`followers did not catch up within ${pollsMax} polls`);
}

describe('following real jobs', () => {
  it('keeps up with a job writing a million events, within fixed bounds', async () => {
    const iterations = 500_000;
    const job = startManyEvents(iterations);
    const follower = new RunFollower(sandbox.current().runDir);
    const [state] = await followToEnd(job, [follower]);
    expect(await job.exited).toBe(0);
    expect(state?.counts.events).toBe(eventsOf(iterations));
    expect(state?.counts.events).toBeGreaterThan(1_000_000);
    expect(state).toMatchObject({
      phase: 'eval',
      phasesDone: ['warmup', 'train'],
      step: iterations,
      percent: 100,
      progressSource: 'explicit',
      lastError: { message: 'done with a warning' },
      lastCheckpoint: { path: `ckpt/step-${iterations}.pt`, step: iterations },
      skipped: { total: 0 },
    });
    expect(state?.metrics.loss).toMatchObject({
      source: 'explicit',
      count: iterations,
      value: 1 / iterations,
    });
    expect(state?.metrics.loss?.points.length).toBeLessThanOrEqual(metricPointsMax);
    expect(state?.metrics.grad_norm).toMatchObject({ source: 'parsed', count: iterations / 5000 });
    expect(state?.lanes.explicit.samples.length).toBeLessThanOrEqual(12);
    expect(state?.skipped.warnings.length).toBeLessThanOrEqual(3 * warningsMax);
    expect(follower.buffers.eventLineBytesPeak).toBeLessThanOrEqual(follower.lineBytesMax);
    expect(follower.buffers.logSegmentBytesPeak).toBeLessThanOrEqual(16 * 1024);
  });

  it('gives a follower that starts after 100k events the view of one that followed from the start', async () => {
    const job = startManyEvents(75_000, 50_000);
    const early = new RunFollower(sandbox.current().runDir);
    const paused = path.join(sandbox.current().runDir, 'paused');
    await waitFor(
      () => {
        early.poll();
        return fs.existsSync(paused);
      },
      { timeoutMs: 30_000, description: 'the job to pause after 100k events' },
    );
    // checkpoint: false: this late follower catches up from byte 0 (the early one saved a checkpoint).
    const late = new RunFollower(sandbox.current().runDir, { pollBytesMax: 1024 * 1024, checkpoint: false });
    expect(late.poll().counts.events).toBeLessThan(eventsOf(50_000));
    expect(late.caughtUp).toBe(false);
    fs.writeFileSync(path.join(sandbox.current().runDir, 'go'), '');
    const [earlyView, lateView] = await followToEnd(job, [early, late]);
    expect(await job.exited).toBe(0);
    expect(lateView).toEqual(earlyView);
    expect(lateView?.counts.events).toBe(eventsOf(75_000));
    expect(lateView?.counts.parsed).toBeGreaterThan(0);
  });
});
