// Issue 14: pausing a run. The pause is recorded first (RUN_DIR/paused.json, atomically: every
// runwarden process that watches the run shows it paused, and a recovering one finds it), then
// the job's group gets SIGSTOP, identity checked. Continuing sends SIGCONT, then removes the
// record. An interrupt or kill of a paused group is sent with SIGCONT (see ports.ts).
import { join } from 'node:path';
import type { Result } from '../../machine/ports.ts';
import type { LockRecord } from '../../machine/types.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { unlinkQuietly } from '../fs/cleanup.ts';
import { failure, success } from '../fs/fs-error.ts';
import { readJsonFile } from '../fs/read-json.ts';
import { signalGroupIfSame } from './identity.ts';
import { jobIdentities } from './job-liveness.ts';
import type { Layout } from './layout.ts';

/** The pause record's name in the run directory. */
export const pausedFile = 'paused.json';

export function pausedPath(layout: Layout, runId: string): string {
  return join(layout.runDir(runId), pausedFile);
}

const isPause = (v: unknown): v is { pausedAt: number } =>
  typeof v === 'object' && v !== null && typeof (v as { pausedAt?: unknown }).pausedAt === 'number';

/** When run `runId` was paused, or null when it is not (or the record is unreadable). */
export function readPause(layout: Layout, runId: string): number | null {
  const read = readJsonFile(layout.root, pausedPath(layout, runId), isPause);
  return read.ok && read.value.state === 'ok' ? read.value.value.pausedAt : null;
}

/** Record the pause, then SIGSTOP the job's group (identity checked). */
export function pauseJob(layout: Layout, lock: LockRecord, at: number): Result<null> {
  if (lock.job === null) return failure('RW_NO_JOB', `run ${lock.runId} has no job to pause`);
  const { identity } = jobIdentities(lock.job);
  if (identity === null) return failure('RW_NO_JOB', `run ${lock.runId}'s job identity is not local`);
  const recorded = writeFileAtomic(
    layout.root,
    pausedPath(layout, lock.runId),
    `${JSON.stringify({ pausedAt: at })}\n`,
  );
  if (!recorded.ok) return recorded;
  const sent = signalGroupIfSame(identity, 'SIGSTOP');
  if (!sent.ok) {
    unlinkQuietly(pausedPath(layout, lock.runId));
    return sent;
  }
  return success(null);
}

/** SIGCONT the job's group (identity checked), then remove the pause record. */
export function continueJob(layout: Layout, lock: LockRecord): Result<null> {
  if (lock.job !== null) {
    const { identity } = jobIdentities(lock.job);
    if (identity !== null) {
      const sent = signalGroupIfSame(identity, 'SIGCONT');
      if (!sent.ok) return sent;
    }
  }
  unlinkQuietly(pausedPath(layout, lock.runId));
  return success(null);
}

/** Before an interrupt or a kill: a paused group must run again to act on it. */
export function continueIfPaused(layout: Layout, lock: LockRecord): void {
  if (lock.job === null || readPause(layout, lock.runId) === null) return;
  const { identity } = jobIdentities(lock.job);
  if (identity !== null) signalGroupIfSame(identity, 'SIGCONT');
  unlinkQuietly(pausedPath(layout, lock.runId));
}
