// Proves process identity, liveness and guarded group signals against real processes: our own
// sleeps, a zombie, a comm with ') (' in it, and another user's process probed as a third uid.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  bootId,
  identityOf,
  type LocalIdentity,
  probe,
  signalGroupIfSame,
} from '../../../runtime/local/identity.ts';
import { parseProcStat, readProcStat } from '../../../runtime/local/proc-stat.ts';
import { endNodeChildren, moduleUrl, startNodeChild, waitFor } from '../fs/node-child.ts';

interface Tracked {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
}

let dir: string;
let tracked: Tracked[] = [];
/** Processes our children left behind (grandchildren); ended in afterEach if still themselves. */
let strays: LocalIdentity[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rw-ident-'));
});

afterEach(async () => {
  await endNodeChildren();
  for (const { child } of tracked) {
    if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
  }
  await Promise.all(tracked.map((t) => t.exited));
  for (const { child } of tracked) expect(readProcStat(child.pid ?? 0)).toBeNull();
  for (const stray of strays) {
    if (probe(stray).state === 'alive') process.kill(stray.pid, 'SIGKILL');
    await waitFor(
      `stray ${stray.pid} gone`,
      () => readProcStat(stray.pid)?.startTimeTicks !== stray.startTime,
    );
  }
  tracked = [];
  strays = [];
  rmSync(dir, { recursive: true, force: true });
});

/** Starts `command` in its own session and process group, remembered for afterEach. */
function start(command: string, args: string[]): ChildProcess & { pid: number } {
  const child = spawn(command, args, { detached: true, stdio: 'ignore' });
  const exited = new Promise<void>((done) => child.on('exit', () => done()));
  tracked.push({ child, exited });
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  return Object.assign(child, { pid: child.pid });
}

/** The identity of a pid that must exist. */
function mustIdentify(pid: number): LocalIdentity {
  const identity = identityOf(pid);
  if (identity === null) throw new Error(`pid ${pid} has no identity`);
  return identity;
}

/** True when `setpriv` can be run (to act as another uid). */
function hasSetpriv(): boolean {
  try {
    execFileSync('setpriv', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('readProcStat', () => {
  it('splits after the last parenthesis so a comm containing ") (" parses', () => {
    const text = '4242 (a) (Z 9 9 9) S 1 4242 4242 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 987654 0 0\n';
    expect(parseProcStat(text)).toEqual({
      state: 'S',
      ppid: 1,
      pgid: 4242,
      sid: 4242,
      startTimeTicks: 987654,
    });
  });

  it('reads a real process whose command name is "a) (b"', async () => {
    const exe = join(dir, 'a) (b');
    copyFileSync('/bin/sleep', exe);
    execFileSync('chmod', ['755', exe]);
    const child = start(exe, ['60']);
    await waitFor('exec of a) (b', () => readFileSync(`/proc/${child.pid}/comm`, 'utf8') === 'a) (b\n');
    const stat = readProcStat(child.pid);
    expect(stat).toMatchObject({ ppid: process.pid, pgid: child.pid, sid: child.pid });
    expect(stat?.state).toMatch(/^[RS]$/);
    expect(probe(mustIdentify(child.pid))).toEqual({ state: 'alive' });
  });

  it('returns null for a pid that does not exist and throws for a pid that cannot be one', () => {
    expect(readProcStat(99_999_999)).toBeNull();
    expect(() => readProcStat(0)).toThrow(RangeError);
    expect(() => readProcStat(-5)).toThrow(RangeError);
  });
});

describe('identityOf and bootId', () => {
  it('records pid, start time from /proc and the boot id of this boot', () => {
    const child = start('sleep', ['60']);
    const identity = mustIdentify(child.pid);
    const bootIdOnDisk = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    expect(identity).toEqual({
      kind: 'local',
      pid: child.pid,
      startTime: readProcStat(child.pid)?.startTimeTicks,
      bootId: bootIdOnDisk,
    });
    expect(bootId()).toBe(bootIdOnDisk);
    expect(identityOf(99_999_999)).toBeNull();
  });
});

describe('probe and signalGroupIfSame', () => {
  it('finds our own running sleep alive', () => {
    const child = start('sleep', ['60']);
    expect(probe(mustIdentify(child.pid))).toEqual({ state: 'alive' });
  });

  it('calls a different start time pid-reused and never signals it', () => {
    const child = start('sleep', ['60']);
    const real = mustIdentify(child.pid);
    const impostor = { ...real, startTime: real.startTime - 1 };
    expect(probe(impostor)).toEqual({ state: 'gone', reason: 'pid-reused' });
    expect(signalGroupIfSame(impostor, 'SIGKILL')).toEqual({ ok: true, value: 'gone' });
    expect(probe(real)).toEqual({ state: 'alive' });
    expect(child.exitCode).toBeNull();
  });

  it('calls another boot id a reboot and never signals it', () => {
    const child = start('sleep', ['60']);
    const real = mustIdentify(child.pid);
    const fromLastBoot = { ...real, bootId: '00000000-0000-0000-0000-000000000000' };
    expect(probe(fromLastBoot)).toEqual({ state: 'gone', reason: 'reboot' });
    expect(signalGroupIfSame(fromLastBoot, 'SIGKILL')).toEqual({ ok: true, value: 'gone' });
    expect(probe(real)).toEqual({ state: 'alive' });
  });

  it('calls a process that exited and was reaped process-gone', async () => {
    const child = start('sleep', ['60']);
    const identity = mustIdentify(child.pid);
    const exited = new Promise((done) => child.once('exit', done));
    process.kill(child.pid, 'SIGKILL');
    await exited;
    expect(probe(identity)).toEqual({ state: 'gone', reason: 'process-gone' });
    expect(signalGroupIfSame(identity, 'SIGKILL')).toEqual({ ok: true, value: 'gone' });
  });

  it('calls a zombie process-gone', async () => {
    // sh forks `sleep 0`, then becomes `sleep 60`, which never reaps it: the child stays a zombie.
    const parent = start('sh', ['-c', 'sleep 0 & exec sleep 60']);
    const childrenPath = `/proc/${parent.pid}/task/${parent.pid}/children`;
    let zombiePid = 0;
    await waitFor('a zombie child', () => {
      zombiePid = Number(readFileSync(childrenPath, 'utf8').trim().split(' ')[0] ?? 0);
      return zombiePid > 0 && readProcStat(zombiePid)?.state === 'Z';
    });
    const zombie = mustIdentify(zombiePid);
    expect(probe(zombie)).toEqual({ state: 'gone', reason: 'process-gone' });
    strays.push(zombie);
  });

  it('signals the whole group of a matching identity, children included', async () => {
    const parent = start('sh', ['-c', 'sleep 60 & exec sleep 61']);
    const childrenPath = `/proc/${parent.pid}/task/${parent.pid}/children`;
    let childPid = 0;
    await waitFor('the group member', () => {
      childPid = Number(readFileSync(childrenPath, 'utf8').trim().split(' ')[0] ?? 0);
      return childPid > 0;
    });
    const member = mustIdentify(childPid);
    strays.push(member);
    expect(readProcStat(childPid)?.pgid).toBe(parent.pid);
    const exited = new Promise((done) => parent.once('exit', done));
    expect(signalGroupIfSame(mustIdentify(parent.pid), 'SIGTERM')).toEqual({ ok: true, value: 'sent' });
    await exited;
    await waitFor('the group member to die', () => probe(member).state === 'gone');
  });

  it('refuses to signal group 1 or below as a programmer error', () => {
    const identity: LocalIdentity = { kind: 'local', pid: 1, startTime: 0, bootId: bootId() };
    expect(() => signalGroupIfSame(identity, 'SIGTERM')).toThrow(RangeError);
    expect(() => signalGroupIfSame({ ...identity, pid: 0 }, 'SIGTERM')).toThrow(RangeError);
  });

  // kill(pid, 0) as root never fails with EPERM, so the probe runs in a child as uid 65533 against
  // a sleep owned by uid 65534. Skipped unless root with setpriv: only root can switch uids.
  it.runIf(process.getuid?.() === 0 && hasSetpriv())(
    "calls another user's process foreign and refuses to signal it",
    async () => {
      const target = start('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'sleep', '60']);
      await waitFor(
        'setpriv to exec sleep',
        () => readFileSync(`/proc/${target.pid}/comm`, 'utf8') === 'sleep\n',
      );
      const identity = mustIdentify(target.pid);
      const code = `
        import { probe, signalGroupIfSame } from '${moduleUrl('runtime/local/identity.ts')}';
        const identity = JSON.parse(process.env.IDENTITY);
        console.log(JSON.stringify(probe(identity)));
        console.log(JSON.stringify(signalGroupIfSame(identity, 'SIGKILL')));`;
      const prober = startNodeChild(code, { env: { IDENTITY: JSON.stringify(identity) }, uid: 65533 });
      expect(await prober.exited).toBe(0);
      expect(JSON.parse(prober.lines[0] ?? 'null')).toEqual({
        state: 'foreign',
        detail: expect.stringContaining(`pid ${target.pid} belongs to another user`),
      });
      expect(JSON.parse(prober.lines[1] ?? 'null')).toEqual({
        ok: false,
        error: { code: 'RW_FOREIGN_PROCESS', message: expect.stringContaining(`group ${target.pid}`) },
      });
      expect(probe(identity)).toEqual({ state: 'alive' });
    },
  );
});
