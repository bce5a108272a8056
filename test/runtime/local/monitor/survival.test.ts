// Proves the job and its exit record survive the death of the launcher, and the monitor survives
// the death of the job's whole process group — by SIGKILLing real processes.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
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

const LAUNCHER = fileURLToPath(new URL('./launcher-process.ts', import.meta.url));

const sandbox = useRunSandbox();

// Start launcher-process.ts for `argv` and return its pid and the pids it reported.
async function launchFromOtherProcess(
  argv: string[],
): Promise<{ launcherPid: number; pid: number; monitorPid: number }> {
  const launcher = spawn(process.execPath, [LAUNCHER, sandbox.current().runDir, '--', ...argv], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const launcherPid = launcher.pid;
  if (launcherPid === undefined) throw new Error('the launcher process did not start');
  sandbox.current().tracker.add(launcherPid);
  let output = '';
  launcher.stdout.setEncoding('utf8');
  launcher.stdout.on('data', (chunk: string) => {
    output += chunk;
  });
  const line = await waitFor(() => (output.includes('\n') ? output.split('\n')[0] : null), {
    timeoutMs: WAIT_MS,
    description: 'the launcher to report the job',
  });
  const { pid, monitorPid } = JSON.parse(line ?? '') as { pid: number; monitorPid: number };
  sandbox.current().tracker.add(monitorPid);
  sandbox.current().tracker.add(pid);
  return { launcherPid, pid, monitorPid };
}

describe('survival', () => {
  it('keeps the job running after the launcher is SIGKILLed, and still records its exit code', async () => {
    const { launcherPid, pid, monitorPid } = await launchFromOtherProcess(
      fixtureJob('exit-with.mjs', '7', '--wait'),
    );
    await waitForFile(sandbox.current().runDir, 'ready');
    process.kill(launcherPid, 'SIGKILL');
    await waitFor(() => isGoneOrZombie(launcherPid), {
      timeoutMs: WAIT_MS,
      description: 'the launcher to die',
    });
    expect(isGoneOrZombie(pid)).toBe(false);
    expect(isGoneOrZombie(monitorPid)).toBe(false);
    expect(fs.readlinkSync(`/proc/${pid}/fd/1`)).toBe(path.join(sandbox.current().runDir, 'out.log'));
    fs.writeFileSync(path.join(sandbox.current().runDir, 'finish'), '');
    expect(await waitForExitRecord(sandbox.current().runDir)).toMatchObject({
      code: 7,
      signal: null,
      notStarted: false,
    });
    await waitFor(() => isGoneOrZombie(monitorPid), {
      timeoutMs: WAIT_MS,
      description: 'the monitor to exit',
    });
  });

  it('survives a SIGKILL to the job process group and records signal SIGKILL', async () => {
    const job = await launchTracked(
      sandbox.current().tracker,
      sandbox.current().runDir,
      fixtureJob('ignore-signals.mjs'),
    );
    expect((await job.release()).ok).toBe(true);
    await waitForFile(sandbox.current().runDir, 'ready');
    expect(statOf(job.pid)?.pgrp).toBe(job.pid);
    process.kill(-job.pid, 'SIGKILL');
    expect(await waitForExitRecord(sandbox.current().runDir)).toMatchObject({
      code: null,
      signal: 'SIGKILL',
      notStarted: false,
    });
    await waitFor(() => isGoneOrZombie(job.monitorPid), {
      timeoutMs: WAIT_MS,
      description: 'the monitor to exit',
    });
  });

  it('leaves no process of the job behind when the job exits and its grandchildren do not', async () => {
    const job = await launchTracked(sandbox.current().tracker, sandbox.current().runDir, [
      'sh',
      '-c',
      'sleep 1000 & echo $! > grandchild; touch ready; exit 4',
    ]);
    expect((await job.release()).ok).toBe(true);
    expect((await waitForExitRecord(sandbox.current().runDir)).code).toBe(4);
    const grandchild = Number(fs.readFileSync(path.join(sandbox.current().runDir, 'grandchild'), 'utf8'));
    await waitFor(() => isGoneOrZombie(grandchild), {
      timeoutMs: WAIT_MS,
      description: 'the grandchild to be killed',
    });
  });
});
