// Test support: read /proc facts about processes and end, by PID, every process a test started.
import fs from 'node:fs';
import { waitFor } from '../../../helpers/wait-for.ts';

/** The /proc/PID/stat fields the tests look at. */
export interface ProcStat {
  readonly state: string;
  readonly ppid: number;
  readonly pgrp: number;
  readonly session: number;
  /** Field 22: start time in clock ticks since boot, to tell a reused PID apart. */
  readonly startTicks: number;
}

/** Parse /proc/PID/stat (split after the LAST ')', comm may contain one); null when gone. */
export function statOf(pid: number): ProcStat | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Fields from 3 on: rest[0] is field 3 (state), rest[n] is field n + 3.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return {
    state: rest[0] ?? '?',
    ppid: Number(rest[1]),
    pgrp: Number(rest[2]),
    session: Number(rest[3]),
    startTicks: Number(rest[19]),
  };
}

/** True when the process no longer runs: gone from /proc or a zombie waiting to be reaped. */
export function isGoneOrZombie(pid: number): boolean {
  const stat = statOf(pid);
  return stat === null || stat.state === 'Z' || stat.state === 'X';
}

/** The pids (with start times) a test started, so it can end exactly those and no others. */
export interface ProcessTracker {
  /** Remember `pid` as started by this test (ignored if it is already gone). */
  add(pid: number): void;
  /** SIGKILL every tracked process still running as itself, wait, and return the pids left alive. */
  endAll(): Promise<number[]>;
}

/** A tracker for one test; call `endAll()` in afterEach and expect it to return []. */
export function trackProcesses(): ProcessTracker {
  const started = new Map<number, number>();
  return {
    add(pid: number): void {
      const stat = statOf(pid);
      if (stat !== null) started.set(pid, stat.startTicks);
    },
    async endAll(): Promise<number[]> {
      const same = (pid: number, ticks: number): boolean => statOf(pid)?.startTicks === ticks;
      for (const [pid, ticks] of started) {
        if (pid > 1 && same(pid, ticks) && !isGoneOrZombie(pid)) process.kill(pid, 'SIGKILL');
      }
      const alive = (): number[] =>
        [...started].filter(([pid, ticks]) => same(pid, ticks) && !isGoneOrZombie(pid)).map(([pid]) => pid);
      await waitFor(() => alive().length === 0, {
        timeoutMs: 5_000,
        description: 'tracked processes to end',
      }).catch(() => undefined);
      const survivors = alive();
      started.clear();
      return survivors;
    },
  };
}
