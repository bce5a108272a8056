// The notifications every open tab shows: how a run ended, a stall, what recovery did (and why).
import type { RecoveryNote } from '../../machine/types.ts';
import type { HistoryRecord } from '../api/history.ts';
import { noteLevel } from '../api/recovery-level.ts';

/** One notification. `level` decides its colour; `message` is one line. */
export interface Notice {
  readonly kind: 'finished' | 'failed' | 'aborted' | 'orphaned' | 'suspended' | 'stalled' | 'recovered';
  readonly level: 'info' | 'warning' | 'error';
  readonly runId: string | null;
  readonly message: string;
}

/** The notice for a run that ended. */
export function endedNotice(record: HistoryRecord): Notice {
  const how =
    record.outcome === 'finished'
      ? 'finished'
      : record.outcome === 'aborted'
        ? `was aborted${record.reason === null ? '' : ` (${record.reason})`}${record.signal === null ? '' : ` (${record.signal})`}`
        : record.outcome === 'suspended'
          ? `was suspended after a checkpoint${record.checkpoint === undefined ? '' : ` (${record.checkpoint.path})`}; resume it with runwarden resume ${record.runId}`
          : record.outcome === 'orphaned'
            ? `was orphaned: ${record.reason ?? 'unknown reason'}`
            : `failed: ${record.signal === null ? `exit code ${record.exitCode ?? '?'}` : `killed by ${record.signal}`}${record.error === null ? '' : ` (${record.error.code})`}`;
  return {
    kind: record.outcome,
    level:
      record.outcome === 'finished' || record.outcome === 'suspended'
        ? 'info'
        : record.outcome === 'aborted'
          ? 'warning'
          : 'error',
    runId: record.runId,
    message: `run ${record.runId} ${how}`,
  };
}

/** The notice for a run that became stalled. */
export function stalledNotice(runId: string): Notice {
  return {
    kind: 'stalled',
    level: 'warning',
    runId,
    message: `run ${runId} is stalled: no output for a while`,
  };
}

/** The notice for something recovery did. */
export function recoveryNotice(note: RecoveryNote): Notice {
  const what =
    note.kind === 'orphaned'
      ? 'an orphaned run was cleaned up'
      : note.kind === 'ended-unwatched'
        ? 'a run that ended while nobody watched was recorded'
        : note.kind === 'quarantined'
          ? 'an unreadable lock was moved aside'
          : note.kind === 'lock-unreadable'
            ? 'a run was found through its directory: its lock is unreadable'
            : 'an abort in flight was resumed';
  return {
    kind: 'recovered',
    // A run that ended while nobody watched is news in a tool without a daemon, not a problem.
    level: noteLevel(note) === 'warning' ? 'warning' : 'info',
    runId: note.runId,
    message: `${what}${note.runId === null ? '' : ` (${note.runId})`}: ${note.reason}`,
  };
}
