// Proves the monitor keeps the job's exit code when the disk is full or read-only at the job's exit
// (issue 19 F5): it overwrites the space it reserved at launch, or retries with back-off until the
// disk takes the record, and the record says what delayed it. Real monitor on a tiny tmpfs (root).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readExitRecord } from '../../../../runtime/local/monitor/exit-record.ts';
import { launchMonitored } from '../../../../runtime/local/monitor/launch.ts';
import { waitFor } from '../../../helpers/wait-for.ts';
import { isGoneOrZombie, type ProcessTracker, trackProcesses } from './processes.ts';
import { fixtureJob, makeRunDir, WAIT_MS, waitForFile } from './run-setup.ts';

const isRoot = process.getuid?.() === 0;
let tracker: ProcessTracker;
let workDir: string;
let mountDir: string;
let mounted = false;

beforeEach(() => {
  tracker = trackProcesses();
  workDir = makeRunDir();
  mountDir = makeRunDir();
});

afterEach(async () => {
  expect(await tracker.endAll()).toEqual([]);
  if (mounted) execFileSync('umount', [mountDir]);
  mounted = false;
  fs.rmSync(workDir, { recursive: true, force: true });
  fs.rmSync(mountDir, { recursive: true, force: true });
});

// Fill the file system holding `dir` until a write fails with ENOSPC.
function fillUp(dir: string): void {
  const fd = fs.openSync(path.join(dir, 'filler'), 'w');
  const block = Buffer.alloc(4096, 1);
  try {
    for (let i = 0; i < 10_000; i++) {
      if (fs.writeSync(fd, block) < block.length) return;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    fs.closeSync(fd);
  }
}

/** Launch the exit-with fixture (exit code 5, waits for `finish`) with its run dir on `runDir`. */
async function launchWaiting(runDir: string) {
  const launched = await launchMonitored({
    runDir,
    argv: fixtureJob('exit-with.mjs', '5', '--wait'),
    cwd: workDir,
    env: {},
    stdoutPath: path.join(workDir, 'out.log'),
    stderrPath: path.join(workDir, 'err.log'),
    startTimeoutMs: WAIT_MS,
  });
  if (!launched.ok) throw new Error(launched.error.message);
  const job = launched.value;
  tracker.add(job.monitorPid);
  tracker.add(job.pid);
  expect((await job.release()).ok).toBe(true);
  await waitForFile(workDir, 'ready');
  return job;
}

/** Mount a 64 KiB tmpfs on `mountDir`, or skip the test where that is not allowed. */
function mountTiny(ctx: { skip: (why: string) => void }): void {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mountDir], { stdio: 'pipe' });
    mounted = true;
  } catch {
    ctx.skip('cannot mount a tmpfs here');
  }
}

describe('exit record on a full or read-only disk', () => {
  it.skipIf(!isRoot)(
    'keeps the exit code on a full disk by overwriting the reserve, and says ENOSPC delayed it',
    async (ctx) => {
      mountTiny(ctx);
      const job = await launchWaiting(mountDir);
      expect(fs.readdirSync(mountDir)).toContain('exit.json.reserve');
      fillUp(mountDir);
      fs.writeFileSync(path.join(workDir, 'finish'), '');
      await waitFor(() => isGoneOrZombie(job.monitorPid), {
        timeoutMs: WAIT_MS,
        description: 'the monitor to exit',
      });
      expect(fs.readdirSync(mountDir).sort()).toEqual(['exit.json', 'filler']);
      const record = readExitRecord(mountDir);
      expect(record.ok && record.value).toMatchObject({ code: 5, signal: null, delayedBy: 'ENOSPC' });
    },
  );

  it.skipIf(!isRoot)(
    'retries with back-off while the disk is read-only and writes the record once it is writable',
    async (ctx) => {
      mountTiny(ctx);
      const job = await launchWaiting(mountDir);
      execFileSync('mount', ['-o', 'remount,ro', mountDir], { stdio: 'pipe' });
      fs.writeFileSync(path.join(workDir, 'finish'), '');
      await waitFor(
        () => fs.readFileSync(path.join(workDir, 'err.log'), 'utf8').includes('RW_EXIT_RECORD_DELAYED'),
        {
          timeoutMs: WAIT_MS,
          description: 'the monitor to report the delayed record',
        },
      );
      expect(isGoneOrZombie(job.monitorPid)).toBe(false);
      expect(fs.existsSync(path.join(mountDir, 'exit.json'))).toBe(false);
      execFileSync('mount', ['-o', 'remount,rw', mountDir], { stdio: 'pipe' });
      await waitFor(() => isGoneOrZombie(job.monitorPid), {
        timeoutMs: WAIT_MS,
        description: 'the monitor to write the record and exit',
      });
      const record = readExitRecord(mountDir);
      expect(record.ok && record.value).toMatchObject({ code: 5, signal: null, delayedBy: 'EROFS' });
      expect(record.ok && (record.value?.delayMs ?? 0)).toBeGreaterThan(0);
      expect(fs.readFileSync(path.join(workDir, 'err.log'), 'utf8')).toContain('delayed by EROFS');
    },
  );
});
