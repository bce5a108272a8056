// Proves a job's exit code survives when it exits while no runwarden process is alive: a real job
// exits 3 after the CLI that started it has ended, and the next `status` and `list` report it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixtureJob } from '../monitor/run-setup.ts';
import { jsonOf } from './cli.ts';
import { historyIdsIn, lockOf } from './disk.ts';
import { expectAtRest } from './invariants.ts';
import { isCli, processesOf } from './leftovers.ts';
import { Scene } from './scene.ts';

let scene: Scene;

beforeEach(() => {
  scene = new Scene();
});

afterEach(async () => {
  expect(await scene.end()).toEqual([]);
});

describe('a job that exits while nobody watches', () => {
  it('is reported by the next status as failed with exit code 3, and listed so', async () => {
    const run = await scene.start(fixtureJob('record-start.mjs', '3'));
    await scene.waitForJobFile(run.jobDir, 'starts');
    // The sweep sees the job and its monitor, and no runwarden process is left to watch them.
    const alive = processesOf(scene.ws);
    expect(alive.map((p) => p.pid)).toEqual(expect.arrayContaining([run.pid, run.monitorPid]));
    expect(alive.filter(isCli)).toEqual([]);
    await scene.finish(run);
    expect(lockOf(scene.ws)?.runId).toBe(run.runId);
    expect(historyIdsIn(scene.ws)).toEqual([]);

    const status = await scene.cli(['status', '--json']);
    expect(status, status.stderr).toMatchObject({ code: 0, signal: null });
    expect(jsonOf(status)).toMatchObject({
      state: 'idle',
      run: null,
      recovered: [{ kind: 'ended-unwatched', runId: run.runId, reason: 'failed (code 3)' }],
    });
    await expectAtRest(scene, [{ id: run.runId, outcome: 'failed', exitCode: 3, signal: null }]);
  });
});
