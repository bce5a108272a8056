import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isGoneOrZombie } from '../monitor/processes.ts';
import { fixtureJob } from '../monitor/run-setup.ts';
import { jsonOf } from './cli.ts';
import { claimsIn, historyBytesOf, historyIdsIn, strayTmpFilesIn } from './disk.ts';
import { expectAtRest } from './invariants.ts';
import type { Run, Scene } from './scene.ts';
import { useTmpfs } from './tmpfs.ts';

const isRoot = process.getuid?.() === 0;
const tmpfs = useTmpfs('rw-faults-tmpfs-');

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
      const s = tmpfs.scene(`ws-${Date.now()}`, (why) => ctx.skip(why));
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

      tmpfs.fillUp();
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

      tmpfs.free();
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
    const s = tmpfs.scene(`ws-${Date.now()}`, (why) => ctx.skip(why));
    const run = await running(s, '0');
    tmpfs.fillUp();
    const full = await s.cli(['status', '--json']);
    expect(full, full.stderr).toMatchObject({ code: 0, signal: null });
    expect(jsonOf(full)).toMatchObject({ state: 'running', run: { id: run.runId, pid: run.pid } });
    expect(isGoneOrZombie(run.pid)).toBe(false);
    tmpfs.free();
    await s.finish(run);
    const freed = await s.cli(['status', '--json']);
    expect(jsonOf(freed)).toMatchObject({ recovered: [{ runId: run.runId, reason: 'finished (code 0)' }] });
    await expectAtRest(s, [{ id: run.runId, outcome: 'finished', exitCode: 0 }]);
  });
});
