// Proves another process's abort is visible to every observer (issue 16): while `runwarden abort`
// runs in one process, a `watch` in another shows the run aborting with the SIGKILL countdown.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../../helpers/wait-for.ts';
import { isGoneOrZombie } from '../monitor/processes.ts';
import { fixtureJob } from '../monitor/run-setup.ts';
import { jsonOf } from './cli.ts';
import { expectAtRest } from './invariants.ts';
import { Scene, WAIT_MS } from './scene.ts';

let scene: Scene;

beforeEach(() => {
  scene = new Scene();
});

afterEach(async () => {
  expect(await scene.end()).toEqual([]);
});

interface WatchedView {
  readonly state: string;
  readonly run: { readonly abort: { readonly killAt: number | null } | null } | null;
}

/** The status views `watch --json` printed so far (pretty-printed objects, one after another). */
function viewsIn(stdout: string): WatchedView[] {
  return stdout
    .split(/\n(?=\{)/)
    .map((chunk) => chunk.trim())
    .filter((chunk) => chunk.endsWith('}'))
    .flatMap((chunk) => {
      try {
        return [JSON.parse(chunk) as WatchedView];
      } catch {
        return [];
      }
    });
}

describe("another process's abort", () => {
  it('shows in a watch of another process as aborting with the SIGKILL countdown, during the grace', async () => {
    const graceMs = 6_000;
    const run = await scene.start(fixtureJob('ignore-signals.mjs'), ['--grace', `${graceMs}ms`]);
    await scene.waitForJobFile(run.jobDir, 'ready');
    const watch = scene.spawn(['watch', '--json']);
    await waitFor(() => viewsIn(watch.stdoutSoFar()).some((v) => v.state === 'running') || null, {
      timeoutMs: WAIT_MS,
      description: 'the watch to show the run running',
    });

    const asked = Date.now();
    const aborting = scene.spawn(['abort', '--json']);
    const seen = await waitFor(
      () => viewsIn(watch.stdoutSoFar()).find((v) => v.state === 'aborting' && v.run?.abort?.killAt) ?? null,
      { timeoutMs: WAIT_MS, description: 'the watch to show the abort of another process' },
    );
    // Seen while the job still runs in its grace, with the deadline the aborting process set.
    expect(isGoneOrZombie(run.pid)).toBe(false);
    expect(seen.run?.abort?.killAt).toBeGreaterThanOrEqual(asked + graceMs - 1_000);
    expect(seen.run?.abort?.killAt).toBeLessThanOrEqual(Date.now() + graceMs);

    const done = await aborting.done;
    expect(done, done.stderr).toMatchObject({ code: 0, signal: null });
    expect(jsonOf(done)).toMatchObject({ runId: run.runId, outcome: 'aborted', signal: 'SIGKILL' });
    const watched = await watch.done;
    expect(watched.signal).toBeNull();
    await scene.waitGone(run);
    await expectAtRest(scene, [{ id: run.runId, outcome: 'aborted', exitCode: null, signal: 'SIGKILL' }]);
  });
});
