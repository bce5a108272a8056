// Proves a claim the filesystem refuses ends at once with a clear error instead of a busy loop:
// a real ended run's lock on a read-only bind mount (EROFS) or in a directory another uid may not
// write (EACCES, setpriv) makes `status` return 1 naming the path and the fix, `--json` prints
// that error as JSON, and once the workspace is writable again the run is recorded exactly once.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixtureJob } from '../monitor/run-setup.ts';
import { type CliOptions, jsonOf } from './cli.ts';
import { claimsIn, lockOf } from './disk.ts';
import { expectAtRest } from './invariants.ts';
import { type Run, Scene } from './scene.ts';

const isRoot = process.getuid?.() === 0;
const nobody = 65_534;
/** A refused claim must end the command well inside this (a hang is SIGKILLed and fails). */
const commandBoundMs = 20_000;

let scene: Scene;
let mounted: string | null = null;

beforeEach(() => {
  scene = new Scene();
});

afterEach(async () => {
  if (mounted !== null) execFileSync('umount', [mounted]);
  mounted = null;
  expect(await scene.end()).toEqual([]);
});

/** A run whose job has exited (code 3) while nobody watched: its lock waits to be claimed. */
async function endedUnwatched(): Promise<Run> {
  const run = await scene.start(fixtureJob('record-start.mjs', '3'));
  await scene.waitForJobFile(run.jobDir, 'starts');
  await scene.finish(run);
  expect(lockOf(scene.ws)?.runId).toBe(run.runId);
  return run;
}

/** Make the workspace read-only by bind-mounting it over itself, remounted ro. */
function mountReadOnly(ws: string): void {
  execFileSync('mount', ['--bind', ws, ws], { stdio: 'pipe' });
  mounted = ws;
  execFileSync('mount', ['-o', 'remount,ro,bind', ws], { stdio: 'pipe' });
}

/** `status` and `status --json` both fail fast with one line naming the lock and `fix`. */
async function statusRefuses(fix: RegExp, options: CliOptions = {}): Promise<void> {
  const opts = { killAfterMs: commandBoundMs, ...options };
  const lockPath = path.join(scene.ws, 'active.lock');
  const human = await scene.cli(['status'], opts);
  expect(human, human.stderr).toMatchObject({ code: 1, signal: null });
  const lines = human.stderr.split('\n').filter((l) => l !== '');
  expect(lines.at(-1)).toMatch(/^runwarden: claiming /);
  expect(lines.at(-1)).toContain(lockPath);
  expect(lines.at(-1)).toMatch(fix);

  const json = await scene.cli(['status', '--json'], opts);
  expect(json, json.stderr).toMatchObject({ code: 1, signal: null });
  const printed = jsonOf<{ error: { code: string; message: string }; exitCode: number }>(json);
  expect(printed).toMatchObject({ error: { code: 'RW_CLAIM_FAILED' }, exitCode: 1 });
  expect(printed.error.message).toContain(lockPath);
  expect(printed.error.message).toMatch(fix);
  // Nothing was claimed or lost: the lock is where it was.
  expect(lockOf(scene.ws)).not.toBeNull();
  expect(claimsIn(scene.ws)).toEqual([]);
}

describe('a claim the filesystem refuses', () => {
  // Bind mounts need root (CAP_SYS_ADMIN): skipped for other users.
  it.skipIf(!isRoot)(
    'EROFS: status returns 1 at once naming the lock and "remount … read-write", then records the run once',
    async () => {
      const run = await endedUnwatched();
      mountReadOnly(scene.ws);
      await statusRefuses(/EROFS \(read-only file system\): remount .* read-write/);

      execFileSync('umount', [scene.ws]);
      mounted = null;
      const freed = await scene.cli(['status', '--json']);
      expect(freed, freed.stderr).toMatchObject({ code: 0, signal: null });
      expect(jsonOf(freed)).toMatchObject({
        state: 'idle',
        recovered: [{ kind: 'ended-unwatched', runId: run.runId, reason: 'failed (code 3)' }],
      });
      await expectAtRest(scene, [{ id: run.runId, outcome: 'failed', exitCode: 3, signal: null }]);
    },
  );

  // Root ignores permissions, so the refused write is made by uid 65534 (setpriv needs root).
  it.skipIf(!isRoot)(
    'EACCES as another uid: status returns 1 at once naming the lock and the owner to run as, then records the run once',
    async () => {
      const run = await endedUnwatched();
      // The other uid may read everything (whatever modes the run files have) but write nothing.
      fs.chmodSync(scene.base, 0o755);
      execFileSync('chmod', ['-R', 'a+rX,go-w', scene.ws]);
      await statusRefuses(/EACCES \(permission denied\): run runwarden as the owner of .* \(uid 0\)/, {
        asUid: nobody,
      });

      const owner = await scene.cli(['status', '--json']);
      expect(owner, owner.stderr).toMatchObject({ code: 0, signal: null });
      expect(jsonOf(owner)).toMatchObject({
        state: 'idle',
        recovered: [{ kind: 'ended-unwatched', runId: run.runId, reason: 'failed (code 3)' }],
      });
      await expectAtRest(scene, [{ id: run.runId, outcome: 'failed', exitCode: 3, signal: null }]);
    },
  );
});
