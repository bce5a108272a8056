// Why a local job outlived SIGKILL, in words: read from /proc, for the one-line RW_UNKILLABLE error.
import type { JobHandle } from '../../machine/types.ts';
import { jobIdentities } from './job-liveness.ts';
import { readProcStatResult } from './proc-stat.ts';

/** The state letter of `pid` (D, T, Z, …), or null when it is gone or /proc cannot tell. */
function stateOf(pid: number): string | null {
  if (!Number.isSafeInteger(pid) || pid < 1) return null;
  const read = readProcStatResult(pid);
  return read.ok && read.value !== null ? read.value.state : null;
}

/**
 * What keeps a killed job's run alive, with what to do about it: its monitor stopped (it cannot
 * reap the job nor write the exit record), the job in uninterruptible sleep, or both gone already.
 */
export function describeStuckJob(job: JobHandle): string {
  const { identity, monitor } = jobIdentities(job);
  const jobState = identity === null ? null : stateOf(identity.pid);
  const monitorState = monitor === null ? null : stateOf(monitor.pid);
  if (monitor !== null && (monitorState === 'T' || monitorState === 't')) {
    return `its monitor (pid ${monitor.pid}) is stopped (state ${monitorState}), so it can neither reap the job nor record its exit; resume it with kill -CONT ${monitor.pid}`;
  }
  if (identity !== null && jobState === 'D') {
    return `the job (pid ${identity.pid}) is in uninterruptible sleep (state D, usually stuck I/O); it ends when the I/O does, or after a reboot`;
  }
  const jobDead = jobState === null || jobState === 'Z' || jobState === 'X';
  if (monitor !== null && monitorState !== null && jobDead) {
    return `the job is dead but its monitor (pid ${monitor.pid}, state ${monitorState}) has not recorded its exit yet (a full or read-only disk?); free the disk and the monitor writes it`;
  }
  const job_ = identity === null ? 'the job' : `the job (pid ${identity.pid}, state ${jobState ?? 'gone'})`;
  const mon =
    monitor === null ? '' : ` and its monitor (pid ${monitor.pid}, state ${monitorState ?? 'gone'})`;
  return `${job_}${mon} did not end after SIGKILL; check them with ps`;
}
