// Proves the monitor never leaves a truncated exit.json when the disk is full: it removes its tmp
// file and says why in the stderr log. Runs the real monitor on a tiny tmpfs (root only).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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

describe('exit record on a full disk', () => {
  it.skipIf(!isRoot)(
    'leaves neither exit.json nor its tmp file, and explains in the stderr log',
    async (ctx) => {
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mountDir], { stdio: 'pipe' });
        mounted = true;
      } catch {
        ctx.skip('cannot mount a tmpfs here');
      }
      const launched = await launchMonitored({
        runDir: mountDir,
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
      fillUp(mountDir);
      fs.writeFileSync(path.join(workDir, 'finish'), '');
      await waitFor(() => isGoneOrZombie(job.monitorPid), {
        timeoutMs: WAIT_MS,
        description: 'the monitor to exit',
      });
      expect(fs.readdirSync(mountDir)).toEqual(['filler']);
      const stderr = fs.readFileSync(path.join(workDir, 'err.log'), 'utf8');
      expect(stderr).toContain('RW_EXIT_RECORD_WRITE_FAILED');
      expect(stderr).toContain('No space left on device');
    },
  );
});
