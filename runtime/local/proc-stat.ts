// Reading the few fields of /proc/PID/stat that identify a process and tell whether it still runs.
import { readFileSync } from 'node:fs';
import type { Result } from '../../machine/ports.ts';
import { errnoOf } from '../fs/fs-error.ts';

/** The fields of /proc/PID/stat runwarden uses. */
export interface ProcStat {
  /** Field 3: R running, S sleeping, D disk wait, Z zombie, T stopped, X dead, … */
  readonly state: string;
  /** Field 22: when the process started, in clock ticks since boot. */
  readonly startTimeTicks: number;
  /** Field 5: the process group. */
  readonly pgid: number;
  /** Field 6: the session. */
  readonly sid: number;
  /** Field 4: the parent. */
  readonly ppid: number;
}

/**
 * The stat fields of process `pid`, or null when there is no such process. Throws only when
 * /proc itself is unusable (not mounted, EMFILE): use `readProcStatResult` to get that as data.
 * A non-positive or non-integer `pid` is a programmer error (RangeError).
 */
export function readProcStat(pid: number): ProcStat | null {
  const read = readProcStatResult(pid);
  if (!read.ok) throw Object.assign(new Error(read.error.message), { code: read.error.code });
  return read.value;
}

/** Like `readProcStat`, with an unreadable /proc as `RW_PROC_UNREADABLE` instead of a throw. */
export function readProcStatResult(pid: number): Result<ProcStat | null> {
  if (!Number.isSafeInteger(pid) || pid < 1)
    throw new RangeError(`pid must be a positive integer, got ${pid}`);
  const path = `/proc/${pid}/stat`;
  let text: string;
  try {
    // latin1: comm is arbitrary bytes; only the ASCII fields after it are parsed.
    text = readFileSync(path, 'latin1');
  } catch (error) {
    const errno = errnoOf(error);
    // ESRCH: the process exited between opening and reading.
    if (errno === 'ENOENT' || errno === 'ESRCH') return { ok: true, value: null };
    const message = `reading ${path}: ${errno}; is /proc mounted?`;
    return { ok: false, error: { code: 'RW_PROC_UNREADABLE', message } };
  }
  const stat = parseProcStat(text);
  if (stat === null) {
    const message = `reading ${path}: unexpected format ${JSON.stringify(text.slice(0, 80))}`;
    return { ok: false, error: { code: 'RW_PROC_UNREADABLE', message } };
  }
  return { ok: true, value: stat };
}

/**
 * Parses the text of /proc/PID/stat, or null if it is not in that format. The command name
 * (field 2) is in parentheses and may itself contain ') (' and spaces, so the fields are split
 * after the LAST ')'.
 */
export function parseProcStat(text: string): ProcStat | null {
  const close = text.lastIndexOf(')');
  if (close === -1) return null;
  // After ') ' come fields 3, 4, 5…: field n is at index n - 3.
  const fields = text
    .slice(close + 2)
    .trim()
    .split(' ');
  const state = fields[0];
  const ppid = Number(fields[1]);
  const pgid = Number(fields[2]);
  const sid = Number(fields[3]);
  const startTimeTicks = Number(fields[19]);
  if (state === undefined || !/^[A-Za-z]$/.test(state)) return null;
  if (![ppid, pgid, sid, startTimeTicks].every(Number.isSafeInteger)) return null;
  return { state, startTimeTicks, pgid, sid, ppid };
}
