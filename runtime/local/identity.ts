// A local process's identity (pid + start time + boot id), whether it still lives, and signalling
// its group only while that identity still matches: a reused PID is never signalled.
import { readFileSync } from 'node:fs';
import type { Result } from '../../machine/ports.ts';
import type { GoneReason, Liveness } from '../../machine/types.ts';
import { errnoOf } from '../fs/fs-error.ts';
import { type ProcStat, readProcStatResult } from './proc-stat.ts';

/** Who a local process is: a PID alone is not enough, since PIDs wrap within hours. */
export type LocalIdentity = {
  readonly kind: 'local';
  readonly pid: number;
  /** Start time in clock ticks since boot (/proc/PID/stat field 22). */
  readonly startTime: number;
  /** The kernel's boot id: start times only compare within one boot. */
  readonly bootId: string;
};

const bootIdPath = '/proc/sys/kernel/random/boot_id';
let cachedBootId: string | null = null;

/**
 * The id of the current boot (trimmed), read once per process. Throws when it cannot be read:
 * the local runtime needs Linux with /proc mounted.
 */
export function bootId(): string {
  if (cachedBootId === null) {
    try {
      cachedBootId = readFileSync(bootIdPath, 'utf8').trim();
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw Object.assign(new Error(`reading ${bootIdPath}: ${why}; runwarden needs Linux /proc`), {
        code: 'RW_NO_BOOT_ID',
      });
    }
  }
  return cachedBootId;
}

/** The identity of process `pid` now, or null when it does not exist (or /proc cannot be read). */
export function identityOf(pid: number): LocalIdentity | null {
  const read = readProcStatResult(pid);
  if (!read.ok || read.value === null) return null;
  return { kind: 'local', pid, startTime: read.value.startTimeTicks, bootId: bootId() };
}

/** The process behind `identity` if it is still that process (zombies included), or why not. */
type Match =
  | { readonly same: true; readonly stat: ProcStat }
  | { readonly same: false; readonly reason: GoneReason };

/** Compares `identity` with what the kernel says about its pid now. */
function matchIdentity(identity: LocalIdentity): Result<Match> {
  if (identity.bootId !== bootId()) return { ok: true, value: { same: false, reason: 'reboot' } };
  const read = readProcStatResult(identity.pid);
  if (!read.ok) return read;
  const stat = read.value;
  if (stat === null) return { ok: true, value: { same: false, reason: 'process-gone' } };
  if (stat.startTimeTicks !== identity.startTime) {
    return { ok: true, value: { same: false, reason: 'pid-reused' } };
  }
  return { ok: true, value: { same: true, stat } };
}

/**
 * Whether the process `identity` names still runs. Gone: another boot (`reboot`), no such pid
 * (`process-gone`), a zombie or dead process (`process-gone`: it exited), another start time
 * (`pid-reused`). Foreign: alive but `kill(pid, 0)` says EPERM (another user's), or /proc could
 * not be read — unsure is never reported as gone. Otherwise alive. Throws only for a pid < 1.
 */
export function probe(identity: LocalIdentity): Liveness {
  const match = matchIdentity(identity);
  if (!match.ok) return { state: 'foreign', detail: `pid ${identity.pid}: ${match.error.message}` };
  if (!match.value.same) return { state: 'gone', reason: match.value.reason };
  const state = match.value.stat.state;
  if (state === 'Z' || state === 'X') return { state: 'gone', reason: 'process-gone' };
  try {
    process.kill(identity.pid, 0);
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === 'ESRCH') return { state: 'gone', reason: 'process-gone' };
    if (errno === 'EPERM') {
      return { state: 'foreign', detail: `pid ${identity.pid} belongs to another user (kill: EPERM)` };
    }
    return { state: 'foreign', detail: `pid ${identity.pid}: kill(pid, 0) failed with ${errno}` };
  }
  return { state: 'alive' };
}

/**
 * Sends `signal` to the process group led by `identity.pid`, after checking right before that the
 * pid is still that process (start time and boot id). `'gone'` when it is not (nothing is sent) or
 * the group no longer exists. A zombie leader with the right start time still pins its pid, so
 * its group (children that outlived it) is signalled. Failures: `RW_FOREIGN_PROCESS` (EPERM),
 * `RW_NOT_GROUP_LEADER` (the process left its own group), `RW_PROC_UNREADABLE`. A pid <= 1 or an
 * unknown signal is a programmer error and throws.
 */
export function signalGroupIfSame(identity: LocalIdentity, signal: NodeJS.Signals): Result<'sent' | 'gone'> {
  // kill(-1) signals every process we may signal; kill(-0) our own group: never.
  if (!Number.isSafeInteger(identity.pid) || identity.pid <= 1) {
    throw new RangeError(`refusing to signal process group ${identity.pid}: a job's group id is > 1`);
  }
  const match = matchIdentity(identity);
  if (!match.ok) return match;
  if (!match.value.same) return { ok: true, value: 'gone' };
  if (match.value.stat.pgid !== identity.pid) {
    const message = `signalling group ${identity.pid}: pid ${identity.pid} is now in group ${match.value.stat.pgid}; not sent`;
    return { ok: false, error: { code: 'RW_NOT_GROUP_LEADER', message } };
  }
  try {
    process.kill(-identity.pid, signal);
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === 'ESRCH') return { ok: true, value: 'gone' };
    if (errno !== 'EPERM') throw error;
    const message = `sending ${signal} to group ${identity.pid}: it belongs to another user; run runwarden as that user`;
    return { ok: false, error: { code: 'RW_FOREIGN_PROCESS', message } };
  }
  return { ok: true, value: 'sent' };
}
