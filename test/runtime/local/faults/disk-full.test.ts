// Proves a full disk loses nothing: on a real tiny tmpfs workspace (root only) a history record that
// cannot be written keeps old files intact, says "no space" and the path, and is written once freed.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isGoneOrZombie } from '../monitor/processes.ts';
import { fixtureJob } from '../monitor/run-setup.ts';
import { jsonOf } from './cli.ts';
import { claimsIn, historyBytesOf, historyIdsIn, strayTmpFilesIn } from './disk.ts';
import { expectAtRest } from './invariants.ts';
import { type Run, Scene } from './scene.ts';

const isRoot = process.getuid?.() === 0;
let mountDir = '';
let mountError: string | null = null;
let scene: Scene | null = null;

beforeAll(() => {
  if (!isRoot) return;
  mountDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rw-faults-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', mountDir], { stdio: 'pipe' });
  } catch (error) {
    mountError = error instanceof Error ? error.message : String(error);
  }
});

afterEach(async () => {
  if (mountDir !== '') fs.rmSync(filler(), { force: true });
  if (scene !== null) expect(await scene.end()).toEqual([]);
  scene = null;
});

afterAll(() => {
  if (mountDir === '') return;
  if (mountError === null) execFileSync('umount', [mountDir]);
  fs.rmSync(mountDir, { recursive: true, force: true });
});

const filler = () => path.join(mountDir, 'filler');

/** Fill the tmpfs until a write fails with ENOSPC (bounded by the tmpfs size). */
function fillUp(): void {
  const fd = fs.openSync(filler(), 'a');
  const block = Buffer.alloc(4096, 1);
  try {
    for (let i = 0; i < 1_024; i++) {
      if (fs.writeSync(fd, block) < block.length) return;
    }
    throw new Error(`the tmpfs at ${mountDir} did not fill up`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    fs.closeSync(fd);
  }
}

/** A scene whose workspace lives on the tmpfs, or a skip saying why there is none. */
function tmpfsScene(skip: (why: string) => void): Scene {
  if (mountError !== null) skip(`cannot mount a tmpfs here: ${mountError}`);
  scene = new Scene(path.join(mountDir, `ws-${Date.now()}`));
  return scene;
}

/** Start a record-start job exiting with `code` and wait until it runs. */
async function running(s: Scene, code: string): Promise<Run> {
  const run = await s.start(fixtureJob('record-start.mjs', code));
  await s.waitForJobFile(run.jobDir, 'starts');
  return run;
}

describe('a full disk while writing state', () => {
  // Mounting a tmpfs needs root (CAP_SYS_ADMIN): skipped for other users.
  it.skipIf(!isRoot)(
    'keeps old files, says "no space" with the path, and records the exit once space is freed',
    async (ctx) => {
      const s = tmpfsScene((why) => ctx.skip(why));
      const first = await running(s, '0');
      await s.finish(first);
      expect((await s.cli(['status'])).code).toBe(0);
      const firstRecord = historyBytesOf(s.ws, first.runId);
      const index = fs.readFileSync(path.join(s.ws, 'history.ndjson'));
      expect(firstRecord).not.toBeNull();

      const second = await running(s, '2');
      await s.finish(second);
      const exitRecord = fs.readFileSync(path.join(s.ws, second.runId, 'exit.json'));
      const lock = fs.readFileSync(path.join(s.ws, 'active.lock'));

      fillUp();
      const full = await s.cli(['status']);
      expect(full, full.stderr).toMatchObject({ code: 1, signal: null });
      const historyPath = path.join(s.ws, 'history', `${second.runId}.json`);
      expect(full.stderr).toMatch(/^runwarden: [^\n]*no space left on device[^\n]*\n$/);
      expect(full.stderr).toContain(historyPath);

      expect(historyBytesOf(s.ws, first.runId)).toEqual(firstRecord);
      expect(fs.readFileSync(path.join(s.ws, 'history.ndjson'))).toEqual(index);
      expect(historyIdsIn(s.ws)).toEqual([first.runId]);
      const claims = claimsIn(s.ws);
      expect(claims).toHaveLength(1);
      expect(fs.readFileSync(path.join(s.ws, claims[0] ?? '?'))).toEqual(lock);
      expect(fs.readFileSync(path.join(s.ws, second.runId, 'exit.json'))).toEqual(exitRecord);
      expect(strayTmpFilesIn(s.ws)).toEqual([]);

      fs.unlinkSync(filler());
      const freed = await s.cli(['status', '--json']);
      expect(freed, freed.stderr).toMatchObject({ code: 0, signal: null });
      expect(jsonOf(freed)).toMatchObject({
        state: 'idle',
        recovered: [{ kind: 'ended-unwatched', runId: second.runId, reason: 'failed (code 2)' }],
      });
      await expectAtRest(s, [
        { id: first.runId, outcome: 'finished', exitCode: 0 },
        { id: second.runId, outcome: 'failed', exitCode: 2, signal: null },
      ]);
      expect(historyBytesOf(s.ws, first.runId)).toEqual(firstRecord);
    },
  );

  // Mounting a tmpfs needs root (CAP_SYS_ADMIN): skipped for other users.
  it.skipIf(!isRoot)('leaves a running job untouched: status still sees it run', async (ctx) => {
    const s = tmpfsScene((why) => ctx.skip(why));
    const run = await running(s, '0');
    fillUp();
    const full = await s.cli(['status', '--json']);
    expect(full, full.stderr).toMatchObject({ code: 0, signal: null });
    expect(jsonOf(full)).toMatchObject({ state: 'running', run: { id: run.runId, pid: run.pid } });
    expect(isGoneOrZombie(run.pid)).toBe(false);
    fs.unlinkSync(filler());
    await s.finish(run);
    const freed = await s.cli(['status', '--json']);
    expect(jsonOf(freed)).toMatchObject({ recovered: [{ runId: run.runId, reason: 'finished (code 0)' }] });
    await expectAtRest(s, [{ id: run.runId, outcome: 'finished', exitCode: 0 }]);
  });
});
