// Proves a corrupt claim file (F12) is never skipped: the run it belonged to is found in its run
// directory and recorded once, and the claim is quarantined with its reason reported.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixtureJob } from '../monitor/run-setup.ts';
import { jsonOf } from './cli.ts';
import { claimsIn, quarantinedIn } from './disk.ts';
import { expectAtRest } from './invariants.ts';
import { Scene } from './scene.ts';

let scene: Scene;

beforeEach(() => {
  scene = new Scene();
});

afterEach(async () => {
  expect(await scene.end()).toEqual([]);
});

describe('a corrupt claim file', () => {
  it('left by a finaliser that died is reported, its run recorded once and the claim quarantined', async () => {
    const jobDir = scene.jobDir();
    const watching = scene.spawn(
      ['start', '--watch', '-C', jobDir, '--', ...fixtureJob('record-start.mjs', '4')],
      { env: { RW_FAILPOINT: 'before-finalize' } },
    );
    await scene.waitForJobFile(jobDir, 'starts');
    const run = scene.adoptRun(jobDir);
    await scene.finish(run);
    expect(await watching.done).toMatchObject({ code: null, signal: 'SIGKILL' });
    const [claim] = claimsIn(scene.ws);
    const claimFile = path.join(scene.ws, claim ?? '?');
    fs.writeFileSync(claimFile, '{"runId": "tr');

    const status = await scene.cli(['status', '--json']);
    expect(status, status.stderr).toMatchObject({ code: 0, signal: null });
    expect(jsonOf(status)).toMatchObject({
      state: 'idle',
      recovered: [
        { kind: 'lock-unreadable', runId: run.runId, reason: expect.stringContaining(claimFile) },
        { kind: 'ended-unwatched', runId: run.runId, reason: 'failed (code 4)' },
      ],
    });
    const [moved] = quarantinedIn(scene.ws);
    expect(fs.readFileSync(path.join(scene.ws, moved ?? '?'), 'utf8')).toBe('{"runId": "tr');
    await expectAtRest(scene, [{ id: run.runId, outcome: 'failed', exitCode: 4, signal: null }]);
  });

  it('with no run left to account for is quarantined with a warning naming it and why', async () => {
    fs.mkdirSync(scene.ws, { recursive: true });
    const name = 'active.lock.claimed-999999-1-deadbeef-0000';
    fs.writeFileSync(path.join(scene.ws, name), Buffer.alloc(64, 0));
    const status = await scene.cli(['status']);
    expect(status, status.stderr).toMatchObject({ code: 0, signal: null });
    expect(status.stderr).toContain(`NUL bytes (torn write) in ${path.join(scene.ws, name)}`);
    expect(status.stderr).toMatch(/moved to \S+active\.lock\.corrupt-/);
    expect(claimsIn(scene.ws)).toEqual([]);
    expect(quarantinedIn(scene.ws)).toHaveLength(1);
    const run = await scene.start(fixtureJob('record-start.mjs', '0'));
    await scene.waitForJobFile(run.jobDir, 'starts');
    await scene.finish(run);
    await expectAtRest(scene, [{ id: run.runId, outcome: 'finished', exitCode: 0 }]);
  });
});
