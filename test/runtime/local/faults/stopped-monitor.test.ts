// Proves `abort` ends within its bound when the job cannot be seen to die: with the run's monitor
// SIGSTOPped (it can neither reap the killed job nor record its exit), a real `abort` returns 1 with
// RW_UNKILLABLE naming the stopped monitor and `kill -CONT`, instead of waiting forever; after
// SIGCONT the run ends and is recorded aborted exactly once.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isGoneOrZombie } from '../monitor/processes.ts';
import { fixtureJob } from '../monitor/run-setup.ts';
import { jsonOf } from './cli.ts';
import { lockOf } from './disk.ts';
import { expectAtRest } from './invariants.ts';
import { type Run, Scene } from './scene.ts';

let scene: Scene;
/** The monitor this test stopped, to resume whatever happens. */
let stopped: number | null = null;

beforeEach(() => {
  scene = new Scene();
});

afterEach(async () => {
  if (stopped !== null) resume(stopped);
  stopped = null;
  expect(await scene.end()).toEqual([]);
});

function resume(pid: number): void {
  try {
    process.kill(pid, 'SIGCONT');
  } catch {
    // already gone
  }
}

/** A job that ignores SIGINT, its monitor then stopped by this test (by pid). */
async function runWithStoppedMonitor(graceMs: number): Promise<Run> {
  const run = await scene.start(fixtureJob('ignore-signals.mjs'), ['--grace', `${graceMs}ms`]);
  await scene.waitForJobFile(run.jobDir, 'ready');
  process.kill(run.monitorPid, 'SIGSTOP');
  stopped = run.monitorPid;
  return run;
}

// The bound of an abort: its grace, the machine's 10 s kill timeout, and a loaded machine's slack.
const abortBoundMs = (graceMs: number) => graceMs + 10_000 + 20_000;

describe('an abort whose monitor is stopped', () => {
  it('returns RW_UNKILLABLE within its bound, naming the stopped monitor and kill -CONT', async () => {
    const graceMs = 300;
    const run = await runWithStoppedMonitor(graceMs);
    const human = await scene.cli(['abort'], { killAfterMs: abortBoundMs(graceMs) });
    expect(human, human.stderr).toMatchObject({ code: 1, signal: null });
    const lines = human.stderr.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^runwarden: run ${run.runId} survived SIGKILL: `));
    expect(lines[0]).toContain(`monitor (pid ${run.monitorPid}) is stopped`);
    expect(lines[0]).toContain(`kill -CONT ${run.monitorPid}`);
    // The job itself is dead (a zombie its stopped parent cannot reap); the lock is kept.
    expect(isGoneOrZombie(run.pid)).toBe(true);
    expect(lockOf(scene.ws)?.runId).toBe(run.runId);

    const json = await scene.cli(['abort', '--json'], { killAfterMs: abortBoundMs(graceMs) });
    expect(json, json.stderr).toMatchObject({ code: 1, signal: null });
    expect(jsonOf(json)).toMatchObject({ error: { code: 'RW_UNKILLABLE' }, exitCode: 1 });

    resume(run.monitorPid);
    stopped = null;
    await scene.waitGone(run);
    const status = await scene.cli(['status', '--json']);
    expect(status, status.stderr).toMatchObject({ code: 0, signal: null });
    expect(jsonOf(status)).toMatchObject({ state: 'idle' });
    await expectAtRest(scene, [{ id: run.runId, outcome: 'aborted', exitCode: null, signal: 'SIGKILL' }]);
  });
});
