// Proves the monitor's abort protocol on real jobs: SIGUSR1 interrupts the job's group and escalates
// to SIGKILL after RUN_DIR/abort-grace-ms, SIGUSR2 kills at once, and no grandchild survives.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
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

// Release a launched job and wait until the fixture says it is ready (handlers installed).
async function startReady(argv: string[]): Promise<{ pid: number; monitorPid: number }> {
  const job = await launchTracked(sandbox.current().tracker, sandbox.current().runDir, argv);
  const released = await job.release();
  if (!released.ok) throw new Error(`${released.error.code}: ${released.error.message}`);
  await waitForFile(sandbox.current().runDir, 'ready');
  return job;
}

describe('abort', () => {
  it('lets a SIGINT-trapping job write its checkpoint and exit 130 on SIGUSR1', async () => {
    fs.writeFileSync(path.join(sandbox.current().runDir, 'abort-grace-ms'), '300\n');
    const job = await startReady(fixtureJob('checkpoint-on-sigint.mjs'));
    process.kill(job.monitorPid, 'SIGUSR1');
    expect(await waitForExitRecord(sandbox.current().runDir)).toMatchObject({ code: 130, signal: null });
    expect(fs.readFileSync(path.join(sandbox.current().runDir, 'checkpoint'), 'utf8')).toBe(
      `step 42 of ${job.pid}\n`,
    );
  });

  it('SIGKILLs a job that ignores SIGINT once the grace has passed', async () => {
    fs.writeFileSync(path.join(sandbox.current().runDir, 'abort-grace-ms'), '300');
    const job = await startReady(fixtureJob('ignore-signals.mjs'));
    process.kill(job.monitorPid, 'SIGUSR1');
    process.kill(job.monitorPid, 'SIGUSR1');
    expect(await waitForExitRecord(sandbox.current().runDir)).toMatchObject({
      code: null,
      signal: 'SIGKILL',
    });
    expect(fs.readFileSync(path.join(sandbox.current().runDir, 'ignored'), 'utf8')).toContain('SIGINT');
  });

  it('treats SIGTERM to the monitor as a graceful abort too', async () => {
    fs.writeFileSync(path.join(sandbox.current().runDir, 'abort-grace-ms'), '300');
    const job = await startReady(fixtureJob('checkpoint-on-sigint.mjs'));
    process.kill(job.monitorPid, 'SIGTERM');
    expect((await waitForExitRecord(sandbox.current().runDir)).code).toBe(130);
  });

  it('ends every grandchild of an aborted job, even those that ignore SIGINT', async () => {
    fs.writeFileSync(path.join(sandbox.current().runDir, 'abort-grace-ms'), '300');
    const job = await startReady(fixtureJob('spawn-grandchildren.sh'));
    const grandchildren = fs
      .readFileSync(path.join(sandbox.current().runDir, 'grandchildren'), 'utf8')
      .trim()
      .split('\n')
      .map(Number);
    expect(grandchildren).toHaveLength(3);
    for (const pid of grandchildren) sandbox.current().tracker.add(pid);
    expect(grandchildren.filter(isGoneOrZombie)).toEqual([]);
    process.kill(job.monitorPid, 'SIGUSR1');
    expect((await waitForExitRecord(sandbox.current().runDir)).notStarted).toBe(false);
    await waitFor(() => grandchildren.every(isGoneOrZombie), {
      timeoutMs: WAIT_MS,
      description: `grandchildren ${grandchildren.join(', ')} to be gone`,
    });
  });

  it('kills the job group at once on SIGUSR2, without waiting for the grace', async () => {
    fs.writeFileSync(path.join(sandbox.current().runDir, 'abort-grace-ms'), String(10 * 60_000));
    const job = await startReady(fixtureJob('ignore-signals.mjs'));
    process.kill(job.monitorPid, 'SIGUSR2');
    expect(await waitForExitRecord(sandbox.current().runDir)).toMatchObject({
      code: null,
      signal: 'SIGKILL',
    });
    expect(fs.existsSync(path.join(sandbox.current().runDir, 'ignored'))).toBe(false);
  });

  it('ends a job that was never released when aborted, recording notStarted', async () => {
    const job = await launchTracked(
      sandbox.current().tracker,
      sandbox.current().runDir,
      fixtureJob('write-marker.sh'),
    );
    process.kill(job.monitorPid, 'SIGUSR1');
    expect(await waitForExitRecord(sandbox.current().runDir)).toMatchObject({
      notStarted: true,
      signal: 'SIGINT',
    });
    expect(fs.existsSync(path.join(sandbox.current().runDir, 'ran'))).toBe(false);
    const released = await job.release();
    expect(released.ok ? 'ok' : released.error.code).toBe('RW_SPAWN_CANCELLED');
    await waitFor(() => isGoneOrZombie(job.monitorPid), {
      timeoutMs: WAIT_MS,
      description: 'the monitor to exit',
    });
  });
});
