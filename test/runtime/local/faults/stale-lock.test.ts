// Proves a lock naming a live unrelated process is recovered as stale and that process lives on: the
// test hand-writes a lock around its own `sleep 60` (wrong start time, wrong boot id), runs the CLI.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LockRecord } from '../../../../machine/types.ts';
import { isGoneOrZombie, statOf } from '../monitor/processes.ts';
import { fixtureJob } from '../monitor/run-setup.ts';
import { jsonOf } from './cli.ts';
import { expectAtRest } from './invariants.ts';
import { Scene } from './scene.ts';

let scene: Scene;

beforeEach(() => {
  scene = new Scene();
});

afterEach(async () => {
  expect(await scene.end()).toEqual([]);
});

const thisBootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();

/** A `sleep 60` of the test's own: alive, and nothing runwarden ever started. */
function unrelatedSleep(): { pid: number; startTicks: number } {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  const pid = child.pid;
  if (pid === undefined) throw new Error('sleep did not start');
  scene.leftovers.add(pid);
  const stat = statOf(pid);
  if (stat === null) throw new Error(`sleep ${pid} vanished at once`);
  return { pid, startTicks: stat.startTicks };
}

/** Write `active.lock` naming process `pid` (owner, job and monitor) with the given identity. */
function writeLockNaming(pid: number, startTime: number, bootId: string): LockRecord {
  const runId = `sleeper-20260101T000000Z-${path.basename(scene.base).slice(-4).toLowerCase()}`;
  const identity = { kind: 'local', pid, startTime, bootId };
  const record: LockRecord = {
    runId,
    nonce: `test-${pid}-${startTime}`,
    createdAt: Date.now() - 60_000,
    owner: identity,
    job: { ...identity, monitorPid: pid, monitorStartTime: startTime },
    startedAt: Date.now() - 60_000,
    config: {
      runId,
      name: 'sleeper',
      argv: ['sleep', '60'],
      cwd: scene.base,
      env: {},
      graceMs: 30_000,
      stallAfterMs: null,
      abortOnStall: false,
      retention: { finished: 'keep', failed: 'delete', aborted: 'delete', orphaned: 'keep' },
    },
  };
  fs.mkdirSync(scene.ws, { recursive: true });
  fs.writeFileSync(path.join(scene.ws, 'active.lock'), `${JSON.stringify(record)}\n`);
  return record;
}

describe('a lock naming a live unrelated process', () => {
  it.each([
    {
      label: 'a different start time',
      reason: 'pid-reused',
      why: 'its pid now belongs to another program',
      identity: (s: { startTicks: number }) => ({ startTime: s.startTicks + 1, bootId: thisBootId }),
    },
    {
      label: 'a different boot id',
      reason: 'reboot',
      why: 'the machine rebooted since it started',
      identity: (s: { startTicks: number }) => ({
        startTime: s.startTicks,
        bootId: '00000000-0000-4000-8000-000000000000',
      }),
    },
  ])(
    'with $label is recovered as stale ($reason) and the process lives on',
    async ({ reason, why, identity }) => {
      const sleeper = unrelatedSleep();
      const { startTime, bootId } = identity(sleeper);
      const lock = writeLockNaming(sleeper.pid, startTime, bootId);

      const status = await scene.cli(['status']);
      expect(status, status.stderr).toMatchObject({ code: 0, signal: null });
      expect(status.stderr).toContain(
        `orphaned run from a previous session was found (${lock.runId}: ${why})`,
      );
      expect(status.stdout).toMatch(/^state: +idle$/m);
      expect(statOf(sleeper.pid)?.startTicks).toBe(sleeper.startTicks);
      expect(isGoneOrZombie(sleeper.pid)).toBe(false);

      const next = await scene.start(fixtureJob('record-start.mjs', '0'));
      await scene.waitForJobFile(next.jobDir, 'starts');
      await scene.finish(next);
      const after = await scene.cli(['status', '--json']);
      expect(jsonOf(after)).toMatchObject({ state: 'idle', recovered: [{ runId: next.runId }] });
      expect(isGoneOrZombie(sleeper.pid)).toBe(false);

      process.kill(sleeper.pid, 'SIGKILL');
      await expectAtRest(scene, [
        { id: lock.runId, outcome: 'orphaned', exitCode: null, signal: null, reason },
        { id: next.runId, outcome: 'finished', exitCode: 0 },
      ]);
    },
  );

  it('that started no job yet is recovered as a dead start (starter-died), the process living on', async () => {
    const sleeper = unrelatedSleep();
    const record = writeLockNaming(sleeper.pid, sleeper.startTicks + 1, thisBootId);
    fs.writeFileSync(
      path.join(scene.ws, 'active.lock'),
      `${JSON.stringify({ ...record, job: null, startedAt: null })}\n`,
    );
    const status = await scene.cli(['status', '--json']);
    expect(status, status.stderr).toMatchObject({ code: 0, signal: null });
    expect(jsonOf(status)).toMatchObject({
      state: 'idle',
      recovered: [{ kind: 'orphaned', runId: record.runId, reason: 'starter-died' }],
    });
    expect(statOf(sleeper.pid)?.startTicks).toBe(sleeper.startTicks);
    expect(isGoneOrZombie(sleeper.pid)).toBe(false);
    process.kill(sleeper.pid, 'SIGKILL');
    await expectAtRest(scene, [{ id: record.runId, outcome: 'orphaned', reason: 'starter-died' }]);
  });
});
