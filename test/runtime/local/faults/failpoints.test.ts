// Proves every named failpoint is survivable: a real runwarden CLI process SIGKILLs itself there
// (RW_FAILPOINT), then `status` and a new `start` run, and every invariant holds on disk and in /proc.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../../helpers/wait-for.ts';
import { isGoneOrZombie } from '../monitor/processes.ts';
import { fixtureJob } from '../monitor/run-setup.ts';
import { jsonOf } from './cli.ts';
import { claimsIn, historyIdsIn, lockOf } from './disk.ts';
import { type Ended, expectAtRest } from './invariants.ts';
import { isCli, processesOf } from './leftovers.ts';
import { Scene, startsOf, WAIT_MS } from './scene.ts';

let scene: Scene;

beforeEach(() => {
  scene = new Scene();
});

afterEach(async () => {
  expect(await scene.end()).toEqual([]);
});

/** `runwarden status --json` after a crash, expecting success; returns the view. */
async function statusAfterCrash(): Promise<{
  state: string;
  run: { id: string } | null;
  recovered: unknown[];
}> {
  const status = await scene.cli(['status', '--json']);
  expect(status, status.stderr).toMatchObject({ code: 0, signal: null });
  return jsonOf(status);
}

/** Start a new run, let it finish unwatched and record it: the workspace is usable again. */
async function nextRunFinishes(): Promise<Ended> {
  const next = await scene.start(fixtureJob('record-start.mjs', '0'));
  await scene.waitForJobFile(next.jobDir, 'starts');
  await scene.finish(next);
  expect(await statusAfterCrash()).toMatchObject({
    state: 'idle',
    recovered: [{ kind: 'ended-unwatched', runId: next.runId, reason: 'finished (code 0)' }],
  });
  expect(startsOf(next.jobDir)).toEqual([next.pid]);
  return { id: next.runId, outcome: 'finished', exitCode: 0, signal: null };
}

describe('failpoints', () => {
  it('after-lock: the dead starter leaves a lock without a job; status records it orphaned (starter-died)', async () => {
    const jobDir = scene.jobDir();
    const crashed = await scene.cli(['start', '-C', jobDir, '--', ...fixtureJob('record-start.mjs', '0')], {
      env: { RW_FAILPOINT: 'after-lock' },
    });
    expect(crashed).toMatchObject({ code: null, signal: 'SIGKILL' });
    const lock = lockOf(scene.ws);
    expect(lock?.job).toBeNull();
    const firstId = lock?.runId ?? '';

    expect(await statusAfterCrash()).toMatchObject({
      state: 'idle',
      recovered: [{ kind: 'orphaned', runId: firstId, reason: 'starter-died' }],
    });
    expect(startsOf(jobDir)).toEqual([]);
    const next = await nextRunFinishes();
    await expectAtRest(scene, [
      { id: firstId, outcome: 'orphaned', exitCode: null, signal: null, reason: 'starter-died' },
      next,
    ]);
    expect(startsOf(jobDir)).toEqual([]);
  });

  it('after-spawn: the job runs on once, status re-attaches to it, a second start is refused, its exit is kept', async () => {
    const jobDir = scene.jobDir();
    const crashed = await scene.cli(['start', '-C', jobDir, '--', ...fixtureJob('record-start.mjs', '5')], {
      env: { RW_FAILPOINT: 'after-spawn' },
    });
    expect(crashed).toMatchObject({ code: null, signal: 'SIGKILL' });
    const first = scene.adoptRun(jobDir);
    await scene.waitForJobFile(jobDir, 'starts');

    expect(await statusAfterCrash()).toMatchObject({
      state: 'running',
      run: { id: first.runId },
      recovered: [],
    });
    const refused = await scene.cli(['start', '-C', scene.jobDir(), '--', ...fixtureJob('record-start.mjs')]);
    expect(refused).toMatchObject({ code: 3, signal: null });
    expect(refused.stderr).toMatch(new RegExp(`^runwarden: run ${first.runId} is already active[^\\n]*\\n$`));

    await scene.finish(first);
    expect(startsOf(jobDir)).toEqual([first.pid]);
    expect(await statusAfterCrash()).toMatchObject({
      state: 'idle',
      recovered: [{ kind: 'ended-unwatched', runId: first.runId, reason: 'failed (code 5)' }],
    });
    const next = await nextRunFinishes();
    await expectAtRest(scene, [{ id: first.runId, outcome: 'failed', exitCode: 5, signal: null }, next]);
  });

  it('abort-grace: the abort dies inside the grace and the monitor alone still SIGKILLs the stubborn job', async () => {
    const graceMs = 1_000;
    const run = await scene.start(fixtureJob('ignore-signals.mjs'), ['--grace', `${graceMs}ms`]);
    await scene.waitForJobFile(run.jobDir, 'ready');

    const crashed = await scene.cli(['abort'], { env: { RW_FAILPOINT: 'abort-grace' } });
    expect(crashed).toMatchObject({ code: null, signal: 'SIGKILL' });
    const runwardenSeen = new Set<string>();
    await waitFor(
      () => {
        for (const p of processesOf(scene.ws).filter(isCli)) runwardenSeen.add(`${p.pid} ${p.cmdline}`);
        return isGoneOrZombie(run.pid) || null;
      },
      { timeoutMs: graceMs + WAIT_MS, description: `the stubborn job ${run.pid} to be killed` },
    );
    expect([...runwardenSeen]).toEqual([]);
    // The abort was recorded durably before the crash: that is what lets a recoverer call it aborted.
    const request = JSON.parse(fs.readFileSync(path.join(scene.ws, run.runId, 'abort.json'), 'utf8'));
    expect(request).toMatchObject({ graceMs, forced: false });
    await scene.waitGone(run);

    expect(await statusAfterCrash()).toMatchObject({
      state: 'idle',
      recovered: [{ kind: 'ended-unwatched', runId: run.runId, reason: 'aborted (SIGKILL)' }],
    });
    const next = await nextRunFinishes();
    await expectAtRest(scene, [
      { id: run.runId, outcome: 'aborted', exitCode: null, signal: 'SIGKILL' },
      next,
    ]);
  });

  it('before-finalize: the watcher dies holding the claim; the next status re-claims it and records the exit once', async () => {
    const jobDir = scene.jobDir();
    const watching = scene.spawn(
      ['start', '--watch', '-C', jobDir, '--', ...fixtureJob('record-start.mjs', '4')],
      { env: { RW_FAILPOINT: 'before-finalize' } },
    );
    await scene.waitForJobFile(jobDir, 'starts');
    const run = scene.adoptRun(jobDir);
    await scene.finish(run);
    const crashed = await watching.done;
    expect(crashed).toMatchObject({ code: null, signal: 'SIGKILL' });
    expect(lockOf(scene.ws)).toBeNull();
    expect(claimsIn(scene.ws)).toEqual([expect.stringMatching(`^active\\.lock\\.claimed-${crashed.pid}-`)]);
    expect(historyIdsIn(scene.ws)).toEqual([]);

    expect(await statusAfterCrash()).toMatchObject({
      state: 'idle',
      recovered: [{ kind: 'ended-unwatched', runId: run.runId, reason: 'failed (code 4)' }],
    });
    const next = await nextRunFinishes();
    await expectAtRest(scene, [{ id: run.runId, outcome: 'failed', exitCode: 4, signal: null }, next]);
  });
});
