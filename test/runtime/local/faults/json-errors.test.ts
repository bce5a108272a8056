import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixtureJob } from '../monitor/run-setup.ts';
import type { CliResult } from './cli.ts';
import { type Run, Scene } from './scene.ts';
import { useTmpfs } from './tmpfs.ts';

const isRoot = process.getuid?.() === 0;

/** The one JSON object a failed `--json` command printed, checked against its exit code. */
function expectJsonFailure(result: CliResult, code: string, exitCode: number): void {
  expect(result, result.stderr).toMatchObject({ code: exitCode, signal: null });
  let printed: unknown;
  expect(
    () => {
      printed = JSON.parse(result.stdout);
    },
    `stdout is not one JSON value: ${JSON.stringify(result.stdout)}`,
  ).not.toThrow();
  expect(printed).toEqual({ error: { code, message: expect.any(String) }, exitCode });
  const message = (printed as { error: { message: string } }).error.message;
  // One line on stderr: the same message, and the CLI's hint after it where it has one.
  expect(result.stderr.startsWith(`runwarden: ${message}`)).toBe(true);
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
}

describe('--json failures on a plain workspace', () => {
  let scene: Scene;
  beforeEach(() => {
    scene = new Scene();
  });
  afterEach(async () => {
    expect(await scene.end()).toEqual([]);
  });

  it('show, inspect and watch of an unknown run print RW_NOT_FOUND as JSON (exit 4)', async () => {
    for (const command of ['show', 'inspect', 'watch']) {
      expectJsonFailure(await scene.cli([command, 'no-such-run', '--json']), 'RW_NOT_FOUND', 4);
    }
  });

  it('abort with no active run prints RW_NO_ACTIVE_RUN as JSON (exit 4)', async () => {
    expectJsonFailure(await scene.cli(['abort', '--json']), 'RW_NO_ACTIVE_RUN', 4);
  });

  it('a second start prints RW_CONFLICT as JSON (exit 3); a usage error prints RW_USAGE (exit 2)', async () => {
    const run: Run = await scene.start(fixtureJob('record-start.mjs', '0'));
    await scene.waitForJobFile(run.jobDir, 'starts');
    const second = await scene.cli(['start', '--json', '--', ...fixtureJob('record-start.mjs', '0')]);
    expectJsonFailure(second, 'RW_CONFLICT', 3);
    const usage = await scene.cli(['list', '--json', '--limit', 'many']);
    expect(usage, usage.stderr).toMatchObject({ code: 2, signal: null });
    expect(JSON.parse(usage.stdout)).toMatchObject({ error: { code: 'RW_USAGE' }, exitCode: 2 });
    await scene.finish(run);
  });
});

describe('--json failures while finalising is stuck (full tmpfs)', () => {
  const tmpfs = useTmpfs('rw-json-tmpfs-');

  // Mounting a tmpfs needs root (CAP_SYS_ADMIN): skipped for other users.
  it.skipIf(!isRoot)(
    'status --json and list --json print the stuck error (RW_DISK_FULL) as JSON',
    async (ctx) => {
      const s = tmpfs.scene('ws', (why) => ctx.skip(why));
      const run = await s.start(fixtureJob('record-start.mjs', '2'));
      await s.waitForJobFile(run.jobDir, 'starts');
      await s.finish(run);
      tmpfs.fillUp();
      expectJsonFailure(await s.cli(['status', '--json']), 'RW_DISK_FULL', 1);
      expectJsonFailure(await s.cli(['list', '--json']), 'RW_DISK_FULL', 1);
      tmpfs.free();
      const freed = await s.cli(['status', '--json']);
      expect(freed, freed.stderr).toMatchObject({ code: 0, signal: null });
      expect(JSON.parse(freed.stdout)).toMatchObject({ state: 'idle' });
    },
  );
});
