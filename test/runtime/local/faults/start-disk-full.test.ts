// Proves a start on an almost full disk fails at once with the real error: on a real tiny tmpfs
// left with 8 or 12 KiB free (whole 4 KiB pages), `start` exits 1 well inside its bound saying "no space left on
// device" (never "timed out … to start"), `--json` prints that error, and once space is freed the
// run is recorded exactly once with nothing left running.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fixtureJob } from '../monitor/run-setup.ts';
import { jsonOf } from './cli.ts';
import { expectAtRest, listRuns } from './invariants.ts';
import { Scene } from './scene.ts';

const isRoot = process.getuid?.() === 0;
/** Far below the CLI's own 30 s wait: a start that waits for it fails here. */
const startBoundMs = 20_000;
let mountDir = '';
let mountError: string | null = null;
let scene: Scene | null = null;

beforeAll(() => {
  if (!isRoot) return;
  mountDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rw-start-full-'));
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

/** Fill the tmpfs so that exactly `freeBytes` (a multiple of its 4 KiB pages) stay free. */
function leaveFree(freeBytes: number): void {
  const { bavail, bsize } = fs.statfsSync(mountDir);
  const fill = bavail * bsize - freeBytes;
  if (fill <= 0) throw new Error(`the tmpfs at ${mountDir} has less than ${freeBytes} bytes free`);
  fs.writeFileSync(filler(), Buffer.alloc(fill));
  const after = fs.statfsSync(mountDir);
  expect(after.bavail * after.bsize).toBe(freeBytes);
}

describe('a start on an almost full disk', () => {
  // Mounting a tmpfs needs root (CAP_SYS_ADMIN): skipped for other users.
  it.skipIf(!isRoot).for([8, 12])(
    'with %i KiB free fails at once naming the full disk, and the run is recorded once when space is freed',
    async (freeKiB, ctx) => {
      if (mountError !== null) ctx.skip(`cannot mount a tmpfs here: ${mountError}`);
      const s = new Scene(path.join(mountDir, `ws-${freeKiB}`));
      scene = s;
      fs.mkdirSync(s.ws);
      leaveFree(freeKiB * 1024);

      const argv = ['start', '-C', s.jobDir(), '--', ...fixtureJob('exit-with.mjs', '0')];
      const human = await s.cli(argv, { killAfterMs: startBoundMs });
      expect(human, human.stderr).toMatchObject({ code: 1, signal: null });
      expect(human.stderr).toMatch(/^runwarden: [^\n]*no space left on device[^\n]*\n$/);
      expect(human.stderr).not.toMatch(/timed out/);

      const json = await s.cli([...argv.slice(0, 1), '--json', ...argv.slice(1)], {
        killAfterMs: startBoundMs,
      });
      expect(json, json.stderr).toMatchObject({ code: 1, signal: null });
      const printed = jsonOf<{ error: { code: string; message: string }; exitCode: number }>(json);
      expect(printed.exitCode).toBe(1);
      expect(printed.error.message).toMatch(/no space left on device/);

      fs.rmSync(filler());
      const freed = await s.cli(['status', '--json']);
      expect(freed, freed.stderr).toMatchObject({ code: 0, signal: null });
      expect(jsonOf(freed)).toMatchObject({ state: 'idle' });
      // Each refused start is recorded once (how far it got decides failed or orphaned).
      const listed = await listRuns(s);
      for (const run of listed) expect(['failed', 'orphaned']).toContain(run.outcome);
      await expectAtRest(
        s,
        listed.map((r) => ({ id: r.id, outcome: r.outcome })),
      );
    },
  );
});
