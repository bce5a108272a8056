// Proves progress and metrics are read from jobs that know nothing of runwarden: real Python jobs
// drawing tqdm bars with '\r' and printing Trainer-style dicts, and a job writing a 10 MB line.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { progressOfRunDir, RunFollower } from '../../../runtime/progress/run-follower.ts';
import { useSandbox } from '../../helpers/sandbox.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { fixture, jobRunner, makeRunDir } from './job-process.ts';

const sandbox = useSandbox(jobRunner, makeRunDir);

/** Runs a job to its end and returns its exit code. */
async function runToEnd(argv: string[]): Promise<number | null> {
  return sandbox.current().tracker.start(sandbox.current().runDir, argv, { withoutEvents: true }).exited;
}

describe('progress parsed from logs', () => {
  it('reads percent, step, total, rate and time left from a tqdm bar left mid-line', async () => {
    expect(await runToEnd(['python3', fixture('tqdm-bar.py'), 'epochs'])).toBe(0);
    expect(progressOfRunDir(sandbox.current().runDir, { final: true })).toMatchObject({
      percent: 42,
      step: 420,
      total: 1000,
      stepsPerS: 41.2,
      etaMs: 14_000,
      message: 'Epoch 2',
      progressSource: 'parsed',
      skipped: { total: 0 },
    });
  });

  it('reads a bar without a total and a bar in seconds per step', async () => {
    expect(await runToEnd(['python3', fixture('tqdm-bar.py'), 'unknown-total'])).toBe(0);
    expect(progressOfRunDir(sandbox.current().runDir, { final: true })).toMatchObject({
      percent: null,
      step: 420,
      total: null,
      stepsPerS: 41.2,
      message: 'Tokenizing',
    });
    fs.rmSync(path.join(sandbox.current().runDir, 'stderr.log'));
    expect(await runToEnd(['python3', fixture('tqdm-bar.py'), 'slow'])).toBe(0);
    expect(progressOfRunDir(sandbox.current().runDir, { final: true })).toMatchObject({
      step: 4,
      total: 20,
      stepsPerS: 0.4,
    });
  });

  it('grows the loss history from Trainer-style dict lines while the job runs', async () => {
    const job = sandbox
      .current()
      .tracker.start(sandbox.current().runDir, ['python3', fixture('trainer-logs.py'), '200', '10', '100'], {
        withoutEvents: true,
      });
    await waitFor(() => fs.existsSync(path.join(sandbox.current().runDir, 'paused')), {
      timeoutMs: 20_000,
      description: 'paused',
    });
    const follower = new RunFollower(sandbox.current().runDir);
    const midway = follower.poll();
    expect(midway.metrics.loss).toMatchObject({ source: 'parsed', count: 10, value: 0.02, step: 1 });
    expect(midway).toMatchObject({ step: 100, total: 200, percent: 50, progressSource: 'parsed' });
    fs.writeFileSync(path.join(sandbox.current().runDir, 'go'), '');
    expect(await job.exited).toBe(0);
    const end = follower.poll({ final: true });
    expect(end.metrics.loss).toMatchObject({ count: 20, value: 0.01, step: 2 });
    expect(end.metrics.loss?.points.map((point) => point.step)).toEqual(
      Array.from({ length: 20 }, (_, i) => Math.round((i + 1) * 10) / 100),
    );
    expect(end.metrics.train_loss).toMatchObject({ value: 0.55, step: 2 });
    expect(end.metrics.eval_loss?.value).toBeNaN();
    expect(end).toMatchObject({ percent: 100, step: 200, skipped: { total: 0 } });
  });

  it('skips a job’s 10 MB line and invalid UTF-8 with a warning and never holds the line', async () => {
    const noisy = path.resolve(import.meta.dirname, '../../fixtures/jobs/noisy-output.mjs');
    expect(await runToEnd([process.execPath, noisy])).toBe(0);
    const follower = new RunFollower(sandbox.current().runDir);
    let state = follower.poll({ final: true });
    for (let polls = 1; polls < 10 && !follower.caughtUp; polls += 1) state = follower.poll({ final: true });
    expect(state.skipped.warnings).toEqual([
      { source: 'stdout', line: 1, reason: expect.stringMatching(/longer than/) },
    ]);
    expect(follower.buffers.logSegmentBytesPeak).toBeLessThanOrEqual(16 * 1024);
  });
});
