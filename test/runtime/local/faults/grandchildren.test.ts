// Proves `runwarden abort` leaves no descendant of a job alive: a real shell job starts background
// sleeps (which sh starts with SIGINT ignored), the CLI aborts it, and /proc is checked for survivors.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../../helpers/wait-for.ts';
import { isGoneOrZombie } from '../monitor/processes.ts';
import { fixtureJob } from '../monitor/run-setup.ts';
import { jsonOf } from './cli.ts';
import { expectAtRest } from './invariants.ts';
import { processesOf } from './leftovers.ts';
import { Scene, WAIT_MS } from './scene.ts';

let scene: Scene;

beforeEach(() => {
  scene = new Scene();
});

afterEach(async () => {
  expect(await scene.end()).toEqual([]);
});

describe('abort of a job with grandchildren', () => {
  it('ends the job and every grandchild through the CLI, and records the run aborted', async () => {
    const run = await scene.start(fixtureJob('spawn-grandchildren.sh'), ['--grace', '1s']);
    await scene.waitForJobFile(run.jobDir, 'ready');
    const grandchildren = fs
      .readFileSync(path.join(run.jobDir, 'grandchildren'), 'utf8')
      .trim()
      .split('\n')
      .map(Number);
    expect(grandchildren).toHaveLength(3);
    for (const pid of grandchildren) scene.leftovers.add(pid);
    expect(grandchildren.filter(isGoneOrZombie)).toEqual([]);
    // The job, its three children and the grandchild under `sh -c`, all under the monitor.
    expect(processesOf(scene.ws).length).toBeGreaterThanOrEqual(1 + 1 + grandchildren.length);

    const aborted = await scene.cli(['abort', '--json']);
    expect(aborted, aborted.stderr).toMatchObject({ code: 0, signal: null });
    expect(jsonOf(aborted)).toMatchObject({ runId: run.runId, outcome: 'aborted' });
    await waitFor(() => [run.pid, run.monitorPid, ...grandchildren].every(isGoneOrZombie), {
      timeoutMs: WAIT_MS,
      description: `job ${run.pid} and grandchildren ${grandchildren.join(', ')} to be gone`,
    });
    expect(processesOf(scene.ws)).toEqual([]);
    await expectAtRest(scene, [{ id: run.runId, outcome: 'aborted' }]);
  });
});
