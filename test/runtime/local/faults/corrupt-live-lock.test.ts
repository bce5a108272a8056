// Proves a lock that turns unreadable or names an invalid identity while its job runs (F1, F11)
// never frees the workspace: the run is found through its run directory's copy, kept, re-attached,
// refused a second start, and recorded once when it ends; the message names the file.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LockRecord } from '../../../../machine/types.ts';
import { waitFor } from '../../../helpers/wait-for.ts';
import { fixtureJob } from '../monitor/run-setup.ts';
import { jsonOf } from './cli.ts';
import { quarantinedIn } from './disk.ts';
import { type Ended, expectAtRest } from './invariants.ts';
import { Scene, startsOf, WAIT_MS } from './scene.ts';

let scene: Scene;

beforeEach(() => {
  scene = new Scene();
});

afterEach(async () => {
  expect(await scene.end()).toEqual([]);
});

/** Rewrite the lock at `file` through `change` (a valid JSON shape with a bad value). */
const rewrite =
  (change: (lock: LockRecord) => unknown) =>
  (file: string): void => {
    const lock = JSON.parse(fs.readFileSync(file, 'utf8')) as LockRecord;
    fs.writeFileSync(file, JSON.stringify(change(lock)));
  };

const damages = [
  {
    label: 'NUL bytes',
    damage: (f: string) => fs.writeFileSync(f, Buffer.alloc(512, 0)),
    detail: 'NUL bytes',
  },
  {
    label: 'torn JSON',
    damage: (f: string) => fs.writeFileSync(f, fs.readFileSync(f, 'utf8').slice(0, 60)),
    detail: 'not valid JSON',
  },
  {
    label: 'owner pid 0',
    damage: rewrite((l) => ({ ...l, owner: { ...l.owner, pid: 0 } })),
    detail: 'owner.pid must be an integer of at least 1, got 0',
  },
  {
    label: 'owner pid -1',
    damage: rewrite((l) => ({ ...l, owner: { ...l.owner, pid: -1 } })),
    detail: 'owner.pid must be an integer of at least 1, got -1',
  },
  {
    label: 'job pid 1.5',
    damage: rewrite((l) => ({ ...l, job: { ...l.job, pid: 1.5 } })),
    detail: 'job.pid must be an integer of at least 2, got 1.5',
  },
  {
    label: 'job pid "12"',
    damage: rewrite((l) => ({ ...l, job: { ...l.job, pid: '12' } })),
    detail: 'job.pid must be an integer of at least 2, got "12"',
  },
];

/** Start a run, let it finish unwatched and record it: the workspace is usable again. */
async function nextRunFinishes(): Promise<Ended> {
  const next = await scene.start(fixtureJob('record-start.mjs', '0'));
  await scene.waitForJobFile(next.jobDir, 'starts');
  await scene.finish(next);
  const status = await scene.cli(['status', '--json']);
  expect(jsonOf(status)).toMatchObject({ state: 'idle', recovered: [{ runId: next.runId }] });
  return { id: next.runId, outcome: 'finished', exitCode: 0, signal: null };
}

describe('a lock damaged while its job runs', () => {
  it.each(damages)(
    '($label) keeps the workspace, re-attaches and records the run once',
    async ({ damage, detail }) => {
      const run = await scene.start(fixtureJob('record-start.mjs', '0'));
      await scene.waitForJobFile(run.jobDir, 'starts');
      const lockFile = path.join(scene.ws, 'active.lock');
      damage(lockFile);
      const bytes = fs.readFileSync(lockFile);

      const status = await scene.cli(['status', '--json']);
      expect(status, status.stderr).toMatchObject({ code: 0, signal: null });
      expect(jsonOf(status)).toMatchObject({
        state: 'running',
        run: { id: run.runId },
        recovered: [{ kind: 'lock-unreadable', runId: run.runId, reason: expect.stringContaining(detail) }],
      });
      const human = await scene.cli(['status']);
      expect(human.stderr).toContain(`warning: ${lockFile}: `);
      expect(human.stderr).toContain(detail);
      // The damaged lock still holds the slot: nothing freed it, no second job can start.
      expect(fs.readFileSync(lockFile)).toEqual(bytes);
      const refused = await scene.cli([
        'start',
        '-C',
        scene.jobDir(),
        '--',
        ...fixtureJob('record-start.mjs'),
      ]);
      expect(refused, refused.stderr).toMatchObject({ code: 3, signal: null });

      // watch finds the run behind the damaged lock and follows it to its end.
      const watch = scene.spawn(['watch']);
      await waitFor(() => watch.stdoutSoFar().includes(run.runId) || null, {
        timeoutMs: WAIT_MS,
        description: 'the watch to show the run',
      });
      await scene.finish(run);
      const watched = await watch.done;
      expect(watched, watched.stderr).toMatchObject({ code: 0, signal: null });
      expect(watched.stdout).toContain(`run ${run.runId} `);
      const after = await scene.cli(['status', '--json']);
      expect(jsonOf(after)).toMatchObject({ state: 'idle' });
      expect(startsOf(run.jobDir)).toEqual([run.pid]);
      // The damaged lock is kept as evidence once its run is recorded.
      expect(quarantinedIn(scene.ws)).toHaveLength(1);
      const next = await nextRunFinishes();
      await expectAtRest(scene, [{ id: run.runId, outcome: 'finished', exitCode: 0, signal: null }, next]);
    },
  );

  it('(NUL bytes) can still be aborted: the job identity comes from its run directory', async () => {
    const run = await scene.start(fixtureJob('checkpoint-on-sigint.mjs'), ['--grace', '5s']);
    await scene.waitForJobFile(run.jobDir, 'ready');
    fs.writeFileSync(path.join(scene.ws, 'active.lock'), Buffer.alloc(256, 0));
    const aborted = await scene.cli(['abort', '--json']);
    expect(aborted, aborted.stderr).toMatchObject({ code: 0, signal: null });
    expect(jsonOf(aborted)).toMatchObject({ runId: run.runId, outcome: 'aborted', exitCode: 130 });
    expect(fs.existsSync(path.join(run.jobDir, 'checkpoint'))).toBe(true);
    await scene.waitGone(run);
    await expectAtRest(scene, [{ id: run.runId, outcome: 'aborted', exitCode: 130 }]);
  });

  it('(NUL bytes) after its job ended unwatched does not forget the run', async () => {
    const run = await scene.start(fixtureJob('record-start.mjs', '3'));
    await scene.waitForJobFile(run.jobDir, 'starts');
    await scene.finish(run);
    fs.writeFileSync(path.join(scene.ws, 'active.lock'), Buffer.alloc(256, 0));
    const status = await scene.cli(['status', '--json']);
    expect(jsonOf(status)).toMatchObject({
      state: 'idle',
      recovered: [
        { kind: 'lock-unreadable', runId: run.runId },
        { kind: 'ended-unwatched', runId: run.runId, reason: 'failed (code 3)' },
      ],
    });
    expect(quarantinedIn(scene.ws)).toHaveLength(1);
    await expectAtRest(scene, [{ id: run.runId, outcome: 'failed', exitCode: 3, signal: null }]);
  });
});
