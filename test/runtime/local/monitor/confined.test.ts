// Proves the monitor is confined to the run directory it opened at launch (issue 19 F4, F7): a
// FIFO planted at abort-grace-ms never blocks an abort, a run directory swapped for a link never
// moves the exit record outside, and a run directory that is a link is refused at launch.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readExitRecord } from '../../../../runtime/local/monitor/exit-record.ts';
import { launchMonitored } from '../../../../runtime/local/monitor/launch.ts';
import { waitFor } from '../../../helpers/wait-for.ts';
import { isGoneOrZombie } from './processes.ts';
import {
  fixtureJob,
  launchTracked,
  useRunSandbox,
  WAIT_MS,
  waitForExitRecord,
  waitForFile,
} from './run-setup.ts';

const sandbox = useRunSandbox();

describe('the monitor confined to its run directory', () => {
  it('aborts with the default grace when abort-grace-ms is a FIFO, instead of blocking on it', async () => {
    const { runDir, tracker } = sandbox.current();
    const job = await launchTracked(tracker, runDir, fixtureJob('checkpoint-on-sigint.mjs'));
    expect((await job.release()).ok).toBe(true);
    await waitForFile(runDir, 'ready');
    execFileSync('mkfifo', [path.join(runDir, 'abort-grace-ms')]);
    process.kill(job.monitorPid, 'SIGUSR1');
    expect(await waitForExitRecord(runDir)).toMatchObject({ code: 130, signal: null });
  });

  it('writes exit.json into the directory it opened when the run directory is swapped for a link', async () => {
    const { runDir, tracker } = sandbox.current();
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'rw-monitor-outside-'));
    const moved = `${runDir}.moved`;
    try {
      const jobDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rw-monitor-job-'));
      const launched = await launchMonitored({
        runDir,
        argv: fixtureJob('exit-with.mjs', '4', '--wait'),
        cwd: jobDir,
        env: {},
        stdoutPath: path.join(runDir, 'out.log'),
        stderrPath: path.join(runDir, 'err.log'),
        startTimeoutMs: WAIT_MS,
      });
      if (!launched.ok) throw new Error(launched.error.message);
      tracker.add(launched.value.monitorPid);
      tracker.add(launched.value.pid);
      expect((await launched.value.release()).ok).toBe(true);
      await waitForFile(jobDir, 'ready');
      fs.renameSync(runDir, moved);
      fs.symlinkSync(outside, runDir);
      fs.writeFileSync(path.join(jobDir, 'finish'), '');
      await waitFor(() => isGoneOrZombie(launched.value.monitorPid), {
        timeoutMs: WAIT_MS,
        description: 'the monitor to exit',
      });
      expect(fs.readdirSync(outside)).toEqual([]);
      const record = readExitRecord(moved);
      expect(record.ok && record.value).toMatchObject({ code: 4 });
      fs.rmSync(jobDir, { recursive: true, force: true });
    } finally {
      fs.rmSync(runDir, { force: true });
      fs.renameSync(moved, runDir);
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('refuses to launch into a run directory that is a symbolic link', async () => {
    const { runDir } = sandbox.current();
    const real = path.join(runDir, 'real');
    fs.mkdirSync(real);
    fs.symlinkSync(real, path.join(runDir, 'link'));
    const launched = await launchMonitored({
      runDir: path.join(runDir, 'link'),
      argv: ['true'],
      cwd: runDir,
      env: {},
      stdoutPath: path.join(runDir, 'out.log'),
      stderrPath: path.join(runDir, 'err.log'),
      startTimeoutMs: WAIT_MS,
    });
    expect(launched.ok).toBe(false);
    expect(fs.readdirSync(real)).toEqual([]);
  });
});
