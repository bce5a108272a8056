// Resource sampling (issue 17): asking the monitor to sample the job, and where the samples go.
//
// The monitor (runtime/local/monitor/resource-sample.h) is the sampler: it is the one process
// that lives exactly as long as the job, so a run nobody watches is sampled too. It appends
// metric events (sys/cpu, sys/rss, …) to `resources.ndjson`, read like the job's own events.
import { join } from 'node:path';
import type { Result } from '../../machine/ports.ts';
import type { RunConfig } from '../../machine/types.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { failure, success } from '../fs/fs-error.ts';
import type { Layout } from './layout.ts';
import { logMaxBytesMin } from './log-cap-layout.ts';
import { readWorkspaceConfig } from './workspace-config.ts';

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

/**
 * The log cap and sampling period the monitor of a run with `config` is asked for: the run's
 * own, else the workspace's defaults (workspace.json `logMaxBytes`, `sampleEveryMs`), else no cap
 * and every 10 s. A default out of range is RW_CONFIG_INVALID naming the field and the fix.
 */
export function resourceRequestOf(
  layout: Layout,
  config: Pick<RunConfig, 'logMaxBytes' | 'sampleEveryMs'>,
): Result<{ readonly logMaxBytes: number | null; readonly sampleEveryMs: number | null }> {
  const read =
    config.logMaxBytes !== undefined && config.sampleEveryMs !== undefined
      ? null
      : readWorkspaceConfig(layout);
  if (read !== null && !read.ok) return read;
  const ws = read?.value;
  const wsLogMax = ws?.logMaxBytes;
  if (wsLogMax !== undefined && (!Number.isSafeInteger(wsLogMax) || wsLogMax < logMaxBytesMin)) {
    return failure(
      'RW_CONFIG_INVALID',
      `${layout.workspaceConfig}: logMaxBytes ${JSON.stringify(wsLogMax)} is not a whole number of bytes >= ${logMaxBytesMin}; fix or remove it`,
    );
  }
  const wsEvery = ws?.sampleEveryMs;
  if (
    wsEvery !== undefined &&
    wsEvery !== null &&
    (typeof wsEvery !== 'number' || !(wsEvery >= sampleEveryMsMin))
  ) {
    return failure(
      'RW_CONFIG_INVALID',
      `${layout.workspaceConfig}: sampleEveryMs ${JSON.stringify(wsEvery)} is not a period >= ${sampleEveryMsMin} ms (or null: no sampling); fix or remove it`,
    );
  }
  return success({
    logMaxBytes: config.logMaxBytes ?? wsLogMax ?? null,
    sampleEveryMs:
      config.sampleEveryMs !== undefined
        ? config.sampleEveryMs
        : wsEvery !== undefined
          ? wsEvery
          : defaultSampleEveryMs,
  });
}
