// Other local users cannot read job output on disk: the workspace, the run directory and the
// history directory are created 0700 and the logs 0600, whatever the umask lets through; the
// files the job writes itself keep the user's umask (runwarden does not change it).
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/wait-for.ts';
import { killJobs, testApp } from './helpers.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

describe('the modes of what a run creates', () => {
  it('are 0700 for the workspace, run and history directories and 0600 for the logs', async () => {
    const built = testApp();
    cleanups.push(() => built.app.close());
    cleanups.push(() => killJobs(built.ws));
    const umask = process.umask();
    const started = await built.context.ws.start({
      argv: [
        process.execPath,
        '-e',
        "require('fs').writeFileSync(process.env.RUNWARDEN_RUN_DIR + '/own.txt', 'x')",
      ],
      name: 'modes',
    });
    await waitFor(() => built.context.ws.history(started.id), {
      timeoutMs: 20_000,
      description: 'the run to end',
    });
    expect({
      workspace: modeOf(built.ws),
      runDir: modeOf(started.dir),
      stdout: modeOf(join(started.dir, 'stdout.log')),
      stderr: modeOf(join(started.dir, 'stderr.log')),
      history: modeOf(join(built.ws, 'history')),
    }).toEqual({ workspace: '700', runDir: '700', stdout: '600', stderr: '600', history: '700' });
    // The job's own file: 0666 minus the user's umask, as if runwarden were not there.
    expect(existsSync(join(started.dir, 'own.txt'))).toBe(true);
    expect(modeOf(join(started.dir, 'own.txt'))).toBe((0o666 & ~umask).toString(8));
  });
});
