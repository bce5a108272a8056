// Proves the monitor contains the job's whole tree (issue 19 F8): descendants that call setsid or
// setpgid, or are double-forked away, end with the job after a normal exit and after an abort,
// with the run's cgroup and with the subreaper alone; the exit record says which held.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { launchMonitored } from '../../../../runtime/local/monitor/launch.ts';
import { waitFor } from '../../../helpers/wait-for.ts';
import { Scene } from '../faults/scene.ts';
import { isGoneOrZombie, type ProcessTracker, statOf, trackProcesses } from './processes.ts';
import { fixtureJob, makeRunDir, WAIT_MS, waitForExitRecord, waitForFile } from './run-setup.ts';

let tracker: ProcessTracker;
let runDir: string;

beforeEach(() => {
  tracker = trackProcesses();
  runDir = makeRunDir();
});

afterEach(async () => {
  expect(await tracker.endAll()).toEqual([]);
  fs.rmSync(runDir, { recursive: true, force: true });
});

/** Launch the escaping fixture, wait until its three escapees run, and track every pid. */
async function launchEscaping(containment: 'auto' | 'subreaper') {
  const launched = await launchMonitored({
    runDir,
    argv: fixtureJob('escape-session.sh'),
    cwd: runDir,
    env: containment === 'subreaper' ? { RUNWARDEN_CONTAINMENT: 'subreaper' } : {},
    stdoutPath: path.join(runDir, 'out.log'),
    stderrPath: path.join(runDir, 'err.log'),
    startTimeoutMs: WAIT_MS,
  });
  if (!launched.ok) throw new Error(launched.error.message);
  const job = launched.value;
  tracker.add(job.monitorPid);
  tracker.add(job.pid);
  expect((await job.release()).ok).toBe(true);
  await waitForFile(runDir, 'ready');
  const escaped = fs.readFileSync(path.join(runDir, 'escaped'), 'utf8').trim().split('\n').map(Number);
  for (const pid of escaped) tracker.add(pid);
  expect(escaped).toHaveLength(3);
  // Each escapee really left the job's process group (so a group kill alone misses it).
  await waitFor(() => escaped.every((pid) => statOf(pid)?.pgrp === pid), {
    timeoutMs: WAIT_MS,
    description: `escapees ${escaped.join(', ')} to lead process groups of their own`,
  });
  return { job, escaped };
}

describe.each(['auto', 'subreaper'] as const)('containment %s', (containment) => {
  it('ends every escaped descendant when the job exits normally', async () => {
    const { job, escaped } = await launchEscaping(containment);
    fs.writeFileSync(path.join(runDir, 'finish'), '');
    const record = await waitForExitRecord(runDir);
    expect(record).toMatchObject({ code: 0, leftovers: 0 });
    if (containment === 'subreaper') expect(record.containment).toBe('subreaper');
    else expect(['cgroup', 'subreaper']).toContain(record.containment);
    await waitFor(() => [job.monitorPid, ...escaped].every(isGoneOrZombie), {
      timeoutMs: WAIT_MS,
      description: `escaped descendants ${escaped.join(', ')} to be gone`,
    });
  });

  it('ends every escaped descendant after an abort', async () => {
    const { job, escaped } = await launchEscaping(containment);
    process.kill(job.monitorPid, 'SIGUSR1');
    const record = await waitForExitRecord(runDir);
    expect(record.leftovers).toBe(0);
    await waitFor(() => [job.pid, job.monitorPid, ...escaped].every(isGoneOrZombie), {
      timeoutMs: WAIT_MS,
      description: `job ${job.pid} and escaped descendants ${escaped.join(', ')} to be gone`,
    });
  });
});

describe('containment through the CLI', () => {
  it('`show` says which containment held, and no escaped descendant outlives the run', async () => {
    const scene = new Scene();
    try {
      const run = await scene.start(fixtureJob('escape-session.sh'));
      await scene.waitForJobFile(run.jobDir, 'ready');
      const escaped = fs
        .readFileSync(path.join(run.jobDir, 'escaped'), 'utf8')
        .trim()
        .split('\n')
        .map(Number);
      for (const pid of escaped) scene.leftovers.add(pid);
      await scene.finish(run);
      await waitFor(() => escaped.every(isGoneOrZombie), {
        timeoutMs: WAIT_MS,
        description: `escaped descendants ${escaped.join(', ')} to be gone`,
      });
      await scene.cli(['status'], { killAfterMs: WAIT_MS }); // records the run nobody watched end
      const shown = await scene.cli(['show', run.runId], { killAfterMs: WAIT_MS });
      expect(shown.stdout).toMatch(/contained: (a cgroup of its own|the monitor as child subreaper)/);
      expect(shown.stdout).not.toContain('survived');
    } finally {
      expect(await scene.end()).toEqual([]);
    }
  });
});
