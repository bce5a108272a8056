// Whether a live job has lost its monitor: then nobody can record its exit code any more.
import type { JobHandle } from '../../machine/types.ts';
import { probe } from './identity.ts';
import { jobIdentities } from './job-liveness.ts';

/**
 * True when the job of `job` is alive but its rw-monitor (the parent that writes exit.json) is
 * gone, e.g. SIGKILLed: the run can then only end `orphaned`. False when both live, when the job
 * is gone too, or when the handle is not a local job with a recorded monitor.
 */
export function monitorLost(job: JobHandle): boolean {
  const { identity, monitor } = jobIdentities(job);
  if (identity === null || monitor === null) return false;
  return probe(identity).state === 'alive' && probe(monitor).state === 'gone';
}
