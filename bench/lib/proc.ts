// Processes seen through /proc: the bench finds everything it started by an environment tag,
// reads RSS and process groups, and ends processes by PID only (never pid or pgid <= 1).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** The environment variable every process the bench starts carries (value: `<run>:<peer>`). */
export const TAG_VAR = 'RW_BENCH_TAG';

/** One process as /proc/PID/stat and /proc/PID/status show it. */
export interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
  comm: string;
}

/** Every pid in /proc right now. */
export function allPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** /proc/PID/stat parsed (split after the last ')': comm may contain one); null once gone. */
export function procInfo(pid: number): ProcInfo | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    return {
      pid,
      comm: stat.slice(stat.indexOf('(') + 1, close),
      state: fields[0] ?? '?',
      ppid: Number(fields[1]),
      pgid: Number(fields[2]),
    };
  } catch {
    return null;
  }
}

/** Alive = exists and is not a zombie (orphaned zombies linger ~1.4 s here). */
export function isAlive(pid: number): boolean {
  const info = procInfo(pid);
  return info !== null && info.state !== 'Z' && info.state !== 'X';
}

/** VmRSS of a process in KiB (0 once gone). */
export function rssKb(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** The command line of a process, spaces for NULs ('' once gone). */
export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}

/** Live processes whose environment has TAG_VAR starting with `prefix` (the bench itself excluded). */
export function taggedPids(prefix: string): number[] {
  const needle = `${TAG_VAR}=${prefix}`;
  return allPids().filter((pid) => {
    if (pid === process.pid) return false;
    try {
      const env = readFileSync(`/proc/${pid}/environ`, 'latin1');
      return env.split('\0').some((kv) => kv.startsWith(needle)) && isAlive(pid);
    } catch {
      return false;
    }
  });
}

/** Live members of process group `pgid`. */
export function groupMembers(pgid: number): number[] {
  if (pgid <= 1) return [];
  return allPids().filter((pid) => {
    const info = procInfo(pid);
    return info !== null && info.pgid === pgid && info.state !== 'Z' && info.state !== 'X';
  });
}

/** `roots` and all their live descendants. */
export function treeOf(roots: readonly number[]): Set<number> {
  const children = new Map<number, number[]>();
  for (const pid of allPids()) {
    const info = procInfo(pid);
    if (info) children.set(info.ppid, [...(children.get(info.ppid) ?? []), pid]);
  }
  const out = new Set<number>();
  const stack = [...roots];
  for (let i = 0; stack.length > 0 && i < 100_000; i++) {
    const pid = stack.pop() as number;
    if (out.has(pid)) continue;
    out.add(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** Sends `signal` to one pid; false when it is gone. Refuses pid <= 1. */
export function killPid(pid: number, signal: NodeJS.Signals): boolean {
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`bench: refusing to signal pid ${pid}`);
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Sends `signal` to a process group; false when it is gone. Refuses pgid <= 1. */
export function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) throw new Error(`bench: refusing to signal group ${pgid}`);
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** The pids holding the unix socket bound at `path` open (found via /proc/net/unix and fds). */
export function socketOwners(path: string): number[] {
  const inodes = new Set(
    readFileSync('/proc/net/unix', 'utf8')
      .split('\n')
      .filter((line) => line.endsWith(` ${path}`))
      .map((line) => `socket:[${line.trim().split(/\s+/)[6]}]`),
  );
  if (inodes.size === 0) return [];
  return allPids().filter((pid) => {
    try {
      return readdirSync(`/proc/${pid}/fd`).some((fd) => {
        try {
          return inodes.has(readlinkSync(`/proc/${pid}/fd/${fd}`));
        } catch {
          return false;
        }
      });
    } catch {
      return false;
    }
  });
}
