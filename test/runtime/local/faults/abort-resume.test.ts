// Proves an abort record is a promise any process keeps (F2): a requester SIGKILLed right after
// recording it leaves the interrupt to whoever looks next, with its full grace, and the monitor
// then escalates with no runwarden process left; an abort whose monitor died is recorded aborted;
// a stall abort the monitor finished keeps its reason.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AbortRequest } from '../../../../machine/types.ts';
import { waitFor } from '../../../helpers/wait-for.ts';
import { isGoneOrZombie } from '../monitor/processes.ts';
import { fixtureJob } from '../monitor/run-setup.ts';
import { jsonOf } from './cli.ts';
import { expectAtRest } from './invariants.ts';
import { isCli, processesOf } from './leftovers.ts';
import { Scene, WAIT_MS } from './scene.ts';

let scene: Scene;

beforeEach(() => {
  scene = new Scene();
});

afterEach(async () => {
  expect(await scene.end()).toEqual([]);
});

const abortOf = (runId: string): AbortRequest =>
  JSON.parse(fs.readFileSync(path.join(scene.ws, runId, 'abort.json'), 'utf8')) as AbortRequest;

/** The SIGINTs (and SIGTERMs) ignore-signals.mjs noted in its directory. */
const ignoredIn = (jobDir: string): string[] => {
  const file = path.join(jobDir, 'ignored');
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n') : [];
};

/** `runwarden abort` SIGKILLed right after it recorded the abort, before anything was signalled. */
async function abortDiesAfterRecording(): Promise<void> {
  const crashed = await scene.cli(['abort'], { env: { RW_FAILPOINT: 'abort-recorded' } });
  expect(crashed).toMatchObject({ code: null, signal: 'SIGKILL' });
}

describe('an abort whose requester died', () => {
  it('right after recording it is delivered by the next status, and the monitor alone kills at the deadline', async () => {
    const graceMs = 3_000;
    const run = await scene.start(fixtureJob('ignore-signals.mjs'), ['--grace', `${graceMs}ms`]);
    await scene.waitForJobFile(run.jobDir, 'ready');
    await abortDiesAfterRecording();
    expect(abortOf(run.runId)).toMatchObject({ graceMs, forced: false });
    expect(abortOf(run.runId).interruptedAt ?? null).toBeNull();
    expect(ignoredIn(run.jobDir)).toEqual([]);
    // Half the grace passes with nothing sent: the grace must not be spent before the interrupt.
    const halfway = abortOf(run.runId).requestedAt + graceMs / 2;
    await waitFor(() => Date.now() > halfway || null, { timeoutMs: WAIT_MS, description: 'half the grace' });
    expect(ignoredIn(run.jobDir)).toEqual([]);

    const before = Date.now();
    const status = await scene.cli(['status', '--json']);
    expect(status, status.stderr).toMatchObject({ code: 0, signal: null });
    const view = jsonOf<{ state: string; run: { abort: { killAt: number } }; recovered: unknown[] }>(status);
    expect(view).toMatchObject({
      state: 'aborting',
      recovered: [{ kind: 'abort-resumed', runId: run.runId }],
    });
    // The grace counts from the delivery, not from the dead requester's record: never "SIGKILL in 0ms".
    expect(view.run.abort.killAt).toBeGreaterThanOrEqual(before + graceMs);
    await waitFor(() => ignoredIn(run.jobDir).includes('SIGINT') || null, {
      timeoutMs: WAIT_MS,
      description: `the job ${run.pid} to be interrupted`,
    });
    expect(abortOf(run.runId).interruptedAt).toEqual(expect.any(Number));

    // No runwarden process is left: the monitor, asked by status, kills the job at the deadline.
    const runwardenSeen = new Set<string>();
    await waitFor(
      () => {
        for (const p of processesOf(scene.ws).filter(isCli)) runwardenSeen.add(`${p.pid} ${p.cmdline}`);
        return isGoneOrZombie(run.pid) || null;
      },
      {
        timeoutMs: graceMs + WAIT_MS,
        description: `the stubborn job ${run.pid} to be killed by its monitor`,
      },
    );
    expect([...runwardenSeen]).toEqual([]);
    await scene.waitGone(run);
    const after = await scene.cli(['status', '--json']);
    expect(jsonOf(after)).toMatchObject({
      state: 'idle',
      recovered: [{ kind: 'ended-unwatched', runId: run.runId, reason: 'aborted (SIGKILL)' }],
    });
    await expectAtRest(scene, [{ id: run.runId, outcome: 'aborted', exitCode: null, signal: 'SIGKILL' }]);
  });

  it('after recording it, its deadline long past, gets the interrupt and its checkpoint from the next look', async () => {
    const graceMs = 500;
    const run = await scene.start(fixtureJob('checkpoint-on-sigint.mjs'), ['--grace', `${graceMs}ms`]);
    await scene.waitForJobFile(run.jobDir, 'ready');
    await abortDiesAfterRecording();
    const recorded = abortOf(run.runId);
    const deadline = recorded.requestedAt + 3 * graceMs;
    await waitFor(() => Date.now() > deadline || null, {
      timeoutMs: WAIT_MS,
      description: 'the dead abort to outlive its grace',
    });
    const status = await scene.cli(['status', '--json']);
    expect(status, status.stderr).toMatchObject({ code: 0, signal: null });
    expect(jsonOf(status)).toMatchObject({ recovered: [{ kind: 'abort-resumed', runId: run.runId }] });
    // Not straight to SIGKILL: the job gets its SIGINT, its full grace, and writes its checkpoint.
    await scene.waitGone(run);
    expect(fs.readFileSync(path.join(run.jobDir, 'checkpoint'), 'utf8')).toContain(`of ${run.pid}`);
    const after = await scene.cli(['status', '--json']);
    expect(after, after.stderr).toMatchObject({ code: 0, signal: null });
    await expectAtRest(scene, [{ id: run.runId, outcome: 'aborted', exitCode: 130, signal: null }]);
  });
});

describe('an aborted run', () => {
  it('whose monitor died is recorded aborted, not orphaned', async () => {
    const graceMs = 500;
    const run = await scene.start(fixtureJob('ignore-signals.mjs'), ['--grace', `${graceMs}ms`]);
    await scene.waitForJobFile(run.jobDir, 'ready');
    const asked = await scene.cli(['abort', '--no-wait']);
    expect(asked, asked.stderr).toMatchObject({ code: 0, signal: null });
    process.kill(run.monitorPid, 'SIGKILL');
    await waitFor(() => isGoneOrZombie(run.monitorPid) || null, {
      timeoutMs: WAIT_MS,
      description: `monitor ${run.monitorPid} to die`,
    });
    // Nobody escalates now; the next abort finds the deadline passed and kills the job itself.
    const again = await scene.cli(['abort', '--json']);
    expect(again, again.stderr).toMatchObject({ code: 0, signal: null });
    expect(jsonOf(again)).toMatchObject({ runId: run.runId, outcome: 'aborted' });
    await scene.waitGone(run);
    await expectAtRest(scene, [{ id: run.runId, outcome: 'aborted', exitCode: null, signal: null }]);
  });

  it('for a stall, finished by its monitor after the watcher died, keeps the reason stalled', async () => {
    const jobDir = scene.jobDir();
    const args = ['--stall-after', '1s', '--abort-on-stall', '--grace', '1s'];
    const watching = scene.spawn(
      ['start', '--watch', '-C', jobDir, ...args, '--', ...fixtureJob('ignore-signals.mjs')],
      { env: { RW_FAILPOINT: 'abort-grace' } },
    );
    await scene.waitForJobFile(jobDir, 'ready');
    const run = scene.adoptRun(jobDir);
    expect(await watching.done).toMatchObject({ code: null, signal: 'SIGKILL' });
    await scene.waitGone(run);
    await expectAtRest(scene, [
      { id: run.runId, outcome: 'aborted', exitCode: null, signal: 'SIGKILL', reason: 'stalled' },
    ]);
  });
});
