// Resource sampling (issue 17): asking the monitor to sample the job, and where the samples go.
//
// The monitor (runtime/local/monitor/resource-sample.h) is the sampler: it is the one process
// that lives exactly as long as the job, so a run nobody watches is sampled too. It appends
// metric events (sys/cpu, sys/rss, …) to `resources.ndjson`, read like the job's own events.
import { join } from 'node:path';
import type { Result } from '../../machine/ports.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';

/** The file in a run directory that turns sampling on (a period in ms: C needs no JSON). */
export const sampleEveryFile = 'sample-every-ms';

/** Where the monitor appends its samples (and the GPU sampler its own), one metric event a line. */
export const resourcesFile = 'resources.ndjson';

/** The sampling period when a run was started without one. */
export const defaultSampleEveryMs = 10_000;

/** Shortest period the monitor accepts. */
export const sampleEveryMsMin = 100;

/** Ask the monitor of the run in `runDir` to sample every `periodMs` (before it is launched). */
export function writeSampleEvery(root: string, runDir: string, periodMs: number): Result<null> {
  return writeFileAtomic(root, join(runDir, sampleEveryFile), `${Math.round(periodMs)}\n`, { mode: 0o600 });
}
