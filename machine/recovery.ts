// Boot-time recovery as a pure decision over what was found on disk. The machine stores the
// decision and routes on it; nothing here touches the world.
import { graceLeftMs, outcomeOfExit, reasonOfExit } from './outcome.ts';
import type {
  AbortRequest,
  DiskFinding,
  EndReason,
  ErrorInfo,
  ExitRecord,
  LockRecord,
  LockSource,
  Outcome,
} from './types.ts';

/** Where recovery sends the machine, with the facts the next state needs. */
export type RecoveryDecision =
  | { readonly kind: 'idle' }
  | { readonly kind: 'quarantine'; readonly detail: string }
  | { readonly kind: 'wait'; readonly record: LockRecord }
  | { readonly kind: 'halt'; readonly error: ErrorInfo }
  | {
      readonly kind: 'reattach';
      readonly record: LockRecord;
      readonly source: LockSource;
      /** How long the job has been silent when recovery looked (ms), and when that was. */
      readonly silentMs: number;
      readonly now: number;
    }
  | {
      readonly kind: 'resume-abort';
      readonly record: LockRecord;
      readonly source: LockSource;
      readonly abort: AbortRequest;
      readonly graceLeftMs: number;
    }
  | {
      readonly kind: 'finalize';
      readonly record: LockRecord;
      readonly source: LockSource;
      readonly outcome: Outcome;
      readonly exit: ExitRecord | null;
      readonly abort: AbortRequest | null;
      readonly reason: EndReason | null;
      readonly detectedAt: number;
    };

/** The kinds of decision, for guards. */
export type RecoveryKind = RecoveryDecision['kind'];

/** Decide what to do with what was found. `startStuckMs`: how long a live starter may hold the lock. */
export function decideRecovery(finding: DiskFinding, startStuckMs: number): RecoveryDecision {
  if (finding.lock === 'absent') return { kind: 'idle' };
  if (finding.lock === 'unreadable') return { kind: 'quarantine', detail: finding.detail };
  const { record, source, owner, job, exit, abort, now } = finding;
  const silentMs = Math.max(0, now - (finding.lastActivityAt ?? record.startedAt ?? now));
  const base = { record, source, abort, detectedAt: now };

  // A live claimer is finalising an ended run: leave it alone; the workspace is free.
  if (source.kind === 'claim' && owner.state === 'alive') return { kind: 'idle' };

  if (record.job === null || job === null) {
    // No job recorded: a start is in flight, or its starter died before spawning.
    if (owner.state === 'foreign') return { kind: 'halt', error: foreignError(record, owner.detail) };
    if (owner.state === 'alive') {
      if (now - record.createdAt > startStuckMs) {
        return { kind: 'halt', error: stuckStartError(record, now) };
      }
      return { kind: 'wait', record };
    }
    return { ...base, kind: 'finalize', outcome: 'orphaned', exit: null, reason: 'starter-died' };
  }

  if (job.state === 'foreign') return { kind: 'halt', error: foreignError(record, job.detail) };
  if (job.state === 'alive') {
    if (abort === null) return { kind: 'reattach', record, source, silentMs, now };
    return { kind: 'resume-abort', record, source, abort, graceLeftMs: graceLeftMs(abort, now) };
  }
  if (exit !== null) {
    const outcome = outcomeOfExit(exit, abort);
    return { ...base, kind: 'finalize', outcome, exit, reason: reasonOfExit(exit) };
  }
  // Nobody saw the job go and nothing recorded its exit: its last sign of life is when it ended
  // at the earliest; `now` would inflate the run by however long nobody looked.
  return {
    ...base,
    kind: 'finalize',
    outcome: 'orphaned',
    exit: null,
    reason: job.reason,
    detectedAt: lastSignOf(finding),
  };
}

/** The job's last sign of life (output, events), within [start, now]; `now` when unknown. */
function lastSignOf(finding: Extract<DiskFinding, { lock: 'present' }>): number {
  const last = finding.lastActivityAt;
  if (last === null || last > finding.now) return finding.now;
  return Math.max(last, finding.record.startedAt ?? last);
}

function foreignError(record: LockRecord, detail: string): ErrorInfo {
  return {
    code: 'RW_FOREIGN_PROCESS',
    message: `run ${record.runId} is held by a process runwarden may not signal (${detail}); run runwarden as that user`,
  };
}

function stuckStartError(record: LockRecord, now: number): ErrorInfo {
  const ageS = Math.round((now - record.createdAt) / 1000);
  return {
    code: 'RW_START_STUCK',
    message: `run ${record.runId} has been starting for ${ageS}s and its starter is still alive; end that runwarden process`,
  };
}
