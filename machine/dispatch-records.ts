// The history record of a queued run that ends without a process (issue 12): a failed
// `--after-ok` dependency, `queue rm`, or an abort while it waits. Pure.
import { historyEntryOf } from './outcome.ts';
import type { QueueEntry } from './queue-types.ts';
import type { EndReason, ErrorInfo, HistoryEntry, Outcome } from './types.ts';

/** Why a queued run ended without a process, with the dependency that did not finish. */
export type QueueEndReason = Extract<
  EndReason,
  'dependency-failed' | 'removed-from-queue' | 'aborted-in-queue'
>;

/** The dependency a `dependency-failed` record names. */
export interface FailedDependency {
  readonly runId: string;
  readonly outcome: Outcome | 'missing';
}

function errorOf(reason: QueueEndReason, dependency: FailedDependency | null): ErrorInfo | null {
  if (reason !== 'dependency-failed' || dependency === null) return null;
  const how = dependency.outcome === 'missing' ? 'has no record' : `ended ${dependency.outcome}`;
  return {
    code: 'RW_DEPENDENCY_FAILED',
    message: `run ${dependency.runId} ${how}, and this run needed it to finish (--after-ok); submit it again once that run finished`,
  };
}

/** The one history record of a queued run ended at `at` without a process. */
export function queueEndEntry(
  entry: QueueEntry,
  reason: QueueEndReason,
  at: number,
  dependency: FailedDependency | null = null,
): HistoryEntry {
  const outcome: Outcome = reason === 'dependency-failed' ? 'failed' : 'aborted';
  const base = historyEntryOf({
    config: entry.config,
    outcome,
    exit: null,
    reason,
    error: errorOf(reason, dependency),
    startedAt: null,
    detectedAt: at,
  });
  return dependency === null || reason !== 'dependency-failed' ? base : { ...base, dependency };
}
