// Proves that a job launched under rw-monitor runs in its own session with its logs as fds 1/2 and
// that its exit, exec failure or cancellation lands in exit.json — by running real fixture jobs.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { launchMonitored } from '../../../../runtime/local/monitor/launch.ts';
import { waitFor } from '../../../helpers/wait-for.ts';
import { isGoneOrZombie, statOf } from './processes.ts';
import {
  fixtureJob,
  launchTracked,
  useRunSandbox,
  WAIT_MS,
  waitForExitRecord,
  waitForFile,
} from './run-setup.ts';

const sandbox = useRunSandbox();

describe('launchMonitored', () => {
  it('records exit code 0 with its end time, and the job wrote straight into the log files', async () => {
    const before = Date.now();
    const job = await launchTracked(
      sandbox.current().tracker,
      sandbox.current().runDir,
      fixtureJob('exit-with.mjs', '0', '--wait'),
    );
    expect(await job.release()).toEqual({ ok: true, value: null });
    await waitForFile(sandbox.current().runDir, 'ready');
    expect(fs.readlinkSync(`/proc/${job.pid}/fd/1`)).toBe(path.join(sandbox.current().runDir, 'out.log'));
    expect(fs.readlinkSync(`/proc/${job.pid}/fd/2`)).toBe(path.join(sandbox.current().runDir, 'err.log'));
    fs.writeFileSync(path.join(sandbox.current().runDir, 'finish'), '');
    const record = await waitForExitRecord(sandbox.current().runDir);
    expect(record).toMatchObject({ code: 0, signal: null, notStarted: false, execError: null });
    expect(record.endedAt).toBeGreaterThanOrEqual(before);
    expect(record.endedAt).toBeLessThanOrEqual(Date.now());
    expect(fs.readFileSync(path.join(sandbox.current().runDir, 'out.log'), 'utf8')).toBe(
      'stdout of exit-with 0\n',
    );
    expect(fs.readFileSync(path.join(sandbox.current().runDir, 'err.log'), 'utf8')).toBe(
      'stderr of exit-with 0\n',
    );
  });

  it('records exit code 3', async () => {
    const job = await launchTracked(
      sandbox.current().tracker,
      sandbox.current().runDir,
      fixtureJob('exit-with.mjs', '3'),
    );
    expect((await job.release()).ok).toBe(true);
    expect(await waitForExitRecord(sandbox.current().runDir)).toMatchObject({
      code: 3,
      signal: null,
      notStarted: false,
    });
    expect(fs.readFileSync(path.join(sandbox.current().runDir, 'out.log'), 'utf8')).toBe(
      'stdout of exit-with 3\n',
    );
  });

  it('puts the job in its own session and process group, which the monitor is not part of', async () => {
    const job = await launchTracked(
      sandbox.current().tracker,
      sandbox.current().runDir,
      fixtureJob('exit-with.mjs', '0', '--wait'),
    );
    const paused = statOf(job.pid);
    expect(paused).toMatchObject({ ppid: job.monitorPid, pgrp: job.pid, session: job.pid });
    expect((await job.release()).ok).toBe(true);
    await waitForFile(sandbox.current().runDir, 'ready');
    const running = statOf(job.pid);
    const monitor = statOf(job.monitorPid);
    expect(running).toMatchObject({ ppid: job.monitorPid, pgrp: job.pid, session: job.pid });
    expect(monitor?.pgrp).not.toBe(job.pid);
    expect(monitor?.session).not.toBe(job.pid);
    expect(monitor?.session).not.toBe(statOf(process.pid)?.session);
    fs.writeFileSync(path.join(sandbox.current().runDir, 'finish'), '');
    expect((await waitForExitRecord(sandbox.current().runDir)).code).toBe(0);
  });

  it('runs a tiny native monitor, not a Node process', async () => {
    const job = await launchTracked(
      sandbox.current().tracker,
      sandbox.current().runDir,
      fixtureJob('exit-with.mjs', '0', '--wait'),
    );
    const exe = fs.readlinkSync(`/proc/${job.monitorPid}/exe`);
    expect(path.basename(exe)).toMatch(/^rw-monitor-[0-9a-f]{12}$/);
    expect(exe).not.toBe(fs.realpathSync(process.execPath));
    job.cancel();
    expect((await waitForExitRecord(sandbox.current().runDir)).notStarted).toBe(true);
  });

  it('keeps a 10 MB line and invalid UTF-8 byte for byte in the stdout log', async () => {
    const job = await launchTracked(
      sandbox.current().tracker,
      sandbox.current().runDir,
      fixtureJob('noisy-output.mjs'),
    );
    expect((await job.release()).ok).toBe(true);
    expect((await waitForExitRecord(sandbox.current().runDir)).code).toBe(0);
    const log = fs.readFileSync(path.join(sandbox.current().runDir, 'out.log'));
    const tenMb = 10 * 1024 * 1024;
    expect(log.length).toBe(tenMb + 1 + 5);
    expect(log.subarray(0, tenMb).every((byte) => byte === 0x78)).toBe(true);
    expect([...log.subarray(tenMb)]).toEqual([0x0a, 0xff, 0xfe, 0xc3, 0x28, 0x0a]);
  });

  it('appends to existing log files instead of truncating them', async () => {
    fs.writeFileSync(path.join(sandbox.current().runDir, 'out.log'), 'earlier line\n');
    const job = await launchTracked(
      sandbox.current().tracker,
      sandbox.current().runDir,
      fixtureJob('exit-with.mjs', '0'),
    );
    expect((await job.release()).ok).toBe(true);
    await waitForExitRecord(sandbox.current().runDir);
    expect(fs.readFileSync(path.join(sandbox.current().runDir, 'out.log'), 'utf8')).toBe(
      'earlier line\nstdout of exit-with 0\n',
    );
  });

  it('never runs the program when cancelled before release, and records notStarted', async () => {
    const job = await launchTracked(
      sandbox.current().tracker,
      sandbox.current().runDir,
      fixtureJob('write-marker.sh'),
    );
    job.cancel();
    const record = await waitForExitRecord(sandbox.current().runDir);
    expect(record).toMatchObject({ notStarted: true, execError: null });
    expect(fs.existsSync(path.join(sandbox.current().runDir, 'ran'))).toBe(false);
    expect((await job.release()).ok).toBe(false);
    await waitFor(() => isGoneOrZombie(job.monitorPid), {
      timeoutMs: WAIT_MS,
      description: 'the monitor to exit',
    });
  });

  it('runs the program once released (the control for the cancel test)', async () => {
    const job = await launchTracked(
      sandbox.current().tracker,
      sandbox.current().runDir,
      fixtureJob('write-marker.sh'),
    );
    expect((await job.release()).ok).toBe(true);
    expect(await waitForExitRecord(sandbox.current().runDir)).toMatchObject({ code: 0, notStarted: false });
    expect(fs.readFileSync(path.join(sandbox.current().runDir, 'ran'), 'utf8')).toBe(`ran as ${job.pid}\n`);
  });

  it('reports a missing program as RW_SPAWN_FAILED with ENOENT, and records the exec error', async () => {
    const job = await launchTracked(sandbox.current().tracker, sandbox.current().runDir, [
      '/nonexistent/rw-no-such-program',
      '--flag',
    ]);
    const released = await job.release();
    expect(released).toEqual({
      ok: false,
      error: {
        code: 'RW_SPAWN_FAILED',
        message: "cannot run '/nonexistent/rw-no-such-program': not found (ENOENT)",
      },
    });
    expect(await job.release()).toBe(released);
    expect(await waitForExitRecord(sandbox.current().runDir)).toMatchObject({
      code: 127,
      notStarted: false,
      execError: 'ENOENT',
    });
  });

  it('passes the caller env merged over its own environment to the job', async () => {
    const job = await launchTracked(sandbox.current().tracker, sandbox.current().runDir, [
      'sh',
      '-c',
      'echo "$RUNWARDEN_RUN_DIR $PATH"',
    ]);
    expect((await job.release()).ok).toBe(true);
    await waitForExitRecord(sandbox.current().runDir);
    expect(fs.readFileSync(path.join(sandbox.current().runDir, 'out.log'), 'utf8')).toBe(
      `${sandbox.current().runDir} ${process.env.PATH}\n`,
    );
  });

  it('refuses bad options and unopenable logs with a code, before starting anything', async () => {
    const base = {
      runDir: sandbox.current().runDir,
      argv: ['true'],
      cwd: sandbox.current().runDir,
      env: {},
      stdoutPath: path.join(sandbox.current().runDir, 'out.log'),
      stderrPath: path.join(sandbox.current().runDir, 'err.log'),
      startTimeoutMs: WAIT_MS,
    };
    const codeOf = async (overrides: Partial<typeof base>): Promise<string> => {
      const launched = await launchMonitored({ ...base, ...overrides });
      return launched.ok ? 'ok' : launched.error.code;
    };
    expect(await codeOf({ argv: [] })).toBe('RW_INVALID_OPTION');
    expect(await codeOf({ startTimeoutMs: 0 })).toBe('RW_INVALID_OPTION');
    expect(await codeOf({ cwd: path.join(sandbox.current().runDir, 'missing') })).toBe('RW_INVALID_OPTION');
    expect(await codeOf({ stderrPath: path.join(sandbox.current().runDir, 'missing', 'err.log') })).toBe(
      'RW_LOG_OPEN_FAILED',
    );
    expect(fs.readdirSync(sandbox.current().runDir)).toEqual(['out.log']);
  });
});
