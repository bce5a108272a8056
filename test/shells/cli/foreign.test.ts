// Proves runwarden refuses a run whose process belongs to another user (kill → EPERM): as uid
// 65533 it reads a lock naming a live process of uid 65534, and every command says why, in one
// line, while that process lives on. Needs root to start processes as other users (setpriv).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LockRecord } from '../../../machine/types.ts';
import { alive, binPath, killAll, repoRoot, tempWorkspace } from './run-cli.ts';

const canSwitchUsers = process.getuid?.() === 0 && existsSync('/usr/bin/setpriv');
const asUser = (uid: number) => ['--reuid', String(uid), '--regid', String(uid), '--clear-groups'];
const started: number[] = [];

afterEach(async () => {
  await killAll(started);
  expect(started.filter(alive)).toEqual([]);
});

function startTicksOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

/** runwarden as uid 65533 (not root: root may signal anyone). */
function runAsOther(ws: string, args: string[]) {
  return spawnSync('setpriv', [...asUser(65533), process.execPath, binPath, ...args], {
    cwd: repoRoot,
    env: {
      ...process.env,
      RUNWARDEN_WORKSPACE: ws,
      NO_COLOR: '1',
      NODE_COMPILE_CACHE: join(dirname(ws), 'cache'),
    },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe.skipIf(!canSwitchUsers)('a run owned by another user', () => {
  it('is refused by status, start and abort with the reason, and its process is untouched', () => {
    const ws = tempWorkspace();
    mkdirSync(ws, { recursive: true });
    for (const dir of [dirname(ws), ws]) chmodSync(dir, 0o777);
    const sleeper = spawn('setpriv', [...asUser(65534), 'sleep', '60'], { stdio: 'ignore' });
    const pid = sleeper.pid ?? -1;
    started.push(pid);
    expect(
      spawnSync('sh', ['-c', `while [ "$(stat -c %u /proc/${pid})" != 65534 ]; do sleep 0.01; done`], {
        timeout: 5_000,
      }).status,
    ).toBe(0);
    const identity = {
      kind: 'local',
      pid,
      startTime: startTicksOf(pid),
      bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
    };
    const runId = 'theirs-20260101T000000Z-beef';
    const record: LockRecord = {
      runId,
      nonce: 'theirs',
      createdAt: Date.now(),
      owner: identity,
      job: { ...identity, monitorPid: pid, monitorStartTime: identity.startTime },
      startedAt: Date.now(),
      config: {
        runId,
        name: 'theirs',
        argv: ['sleep', '60'],
        cwd: '/',
        env: {},
        graceMs: 1_000,
        stallAfterMs: null,
        abortOnStall: false,
        retention: { finished: 'keep', failed: 'delete', aborted: 'delete', orphaned: 'keep' },
      },
    };
    writeFileSync(join(ws, 'active.lock'), JSON.stringify(record));
    for (const args of [['status'], ['start', '--', 'true'], ['abort']]) {
      const result = runAsOther(ws, args);
      expect({ args, code: result.status }).toEqual({ args, code: 1 });
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /run theirs-\S+ is held by a process runwarden may not signal .*run runwarden as that user/,
      );
    }
    expect(alive(pid)).toBe(true);
    expect(existsSync(join(ws, 'active.lock'))).toBe(true);
  });
});
