// Liveness of a local job as the machine means it: the run is live while its job or the job's
// monitor lives (the monitor is about to write the exit record), never by pid alone.
import type { JobHandle, Liveness } from '../../machine/types.ts';
import { probe } from './identity.ts';
import { localIdentityOf } from './owner.ts';

/** The job's identity and its monitor's, from a lock's job handle. */
export function jobIdentities(job: JobHandle) {
  const identity = localIdentityOf(job);
  const monitorPid = job.monitorPid;
  const monitorStartTime = job.monitorStartTime;
  const monitor =
    identity !== null && typeof monitorPid === 'number' && typeof monitorStartTime === 'number'
      ? { ...identity, pid: monitorPid, startTime: monitorStartTime }
      : null;
  return { identity, monitor };
}

/** Alive while the job or its monitor lives; otherwise why the job is gone. */
export function probeJob(job: JobHandle): Liveness {
  const { identity, monitor } = jobIdentities(job);
  if (identity === null)
    return { state: 'foreign', detail: `the lock names a ${job.kind} job, not a local one` };
  const own = probe(identity);
  if (own.state !== 'gone' || monitor === null) return own;
  const watcher = probe(monitor);
  return watcher.state === 'alive' ? watcher : own;
}
