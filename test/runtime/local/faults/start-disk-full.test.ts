import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fixtureJob } from '../monitor/run-setup.ts';
import { jsonOf } from './cli.ts';
import { expectAtRest, listRuns } from './invariants.ts';
import { useTmpfs } from './tmpfs.ts';

const isRoot = process.getuid?.() === 0;
/** Far below the CLI's own 30 s wait: a start that waits for it fails here. */
const startBoundMs = 20_000;
const tmpfs = useTmpfs('rw-start-full-');

describe('a start on an almost full disk', () => {
  // Mounting a tmpfs needs root (CAP_SYS_ADMIN): skipped for other users.
  it.skipIf(!isRoot).for([8, 12])(
    'with %i KiB free fails at once naming the full disk, and the run is recorded once when space is freed',
    async (freeKiB, ctx) => {
      const s = tmpfs.scene(`ws-${freeKiB}`, (why) => ctx.skip(why));
      fs.mkdirSync(s.ws);
      tmpfs.leaveFree(freeKiB * 1024);

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

      tmpfs.free();
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
