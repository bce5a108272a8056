// Boot-time recovery as a pure decision over what was found on disk. The machine stores the
// decision and routes on it; nothing here touches the world.
import { resumedAbort } from './context.ts';
import { outcomeOfExit, outcomeOfLoss, reasonOfExit } from './outcome.ts';
import type {
  AbortRequest,
  DiskFinding,
  EndReason,
  ErrorInfo,
  ExitRecord,
  LockRecord,
  LockSource,
  Outcome,
  RecordedRun,
} from './types.ts';

/** Where recovery sends the machine, with the facts the next state needs. */
export type RecoveryDecision =
  | { readonly kind: 'idle' }
  | {
      readonly kind: 'quarantine';
      readonly detail: string;
      readonly path: string;
      readonly source: LockSource;
    }
  | { readonly kind: 'wait'; readonly record: LockRecord }
  /**
   * A start from the queue that never let its job go (no job recorded and its starter gone, or a
   * job recorded that exited without running its program, no abort asked): claim the lock,
   * discard the never-started run directory (no history record), release; the
   * dispatcher's accounting then puts the queue entry back (issue 12: a dispatcher that dies
   * mid-way loses nothing).
   */
  | {
      readonly kind: 'requeue';
      readonly record: LockRecord;
      readonly source: LockSource;
      readonly now: number;
    }
  | { readonly kind: 'halt'; readonly error: ErrorInfo }
  | {
      readonly kind: 'reattach';
      readonly record: LockRecord;
      readonly source: LockSource;
      /** How long the job has been silent when recovery looked (ms), and when that was. */
      readonly silentMs: number;
      readonly now: number;
      /** Issue 14: the run is paused (since then): re-attach to it paused, its stall timer still. */
      readonly pausedAt?: number | null;
    }
  | {
      readonly kind: 'resume-abort';
      readonly record: LockRecord;
      readonly source: LockSource;
      readonly abort: AbortRequest;
      readonly graceLeftMs: number;
      /** The deadline has passed (or SIGKILL was asked): kill now. */
      readonly killNow: boolean;
      readonly now: number;
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
  if (finding.lock === 'unreadable') return decideUnreadable(finding, startStuckMs);
  // A live claimer is finalising an ended run: leave it alone; the workspace is free.
  if (finding.source.kind === 'claim' && finding.owner.state === 'alive') return { kind: 'idle' };
  return decideRun(finding, finding.source, finding.now, startStuckMs);
}

type UnreadableFinding = Extract<DiskFinding, { lock: 'unreadable' }>;

/**
 * An unreadable lock or claim belongs to a run recorded in its run directory. A run there that
 * may still be alive keeps the workspace (the corrupt lock stays where it is, so no start can
 * take the slot); an ended one is finalised through the unreadable file; only when no run is
 * left to account for is the file quarantined.
 */
function decideUnreadable(f: UnreadableFinding, startStuckMs: number): RecoveryDecision {
  if (f.source.kind === 'claim' && f.claimer?.state === 'alive') return { kind: 'idle' };
  const source: LockSource = { ...f.source, unreadable: `${f.path}: ${f.detail}` };
  const decisions = f.runs.map((run) => decideRun(run, source, f.now, startStuckMs));
  // A claim no longer holds the workspace: only an ended run can be finalised through it.
  const usable =
    f.source.kind === 'claim'
      ? decisions.filter((d) => d.kind === 'finalize' || d.kind === 'requeue')
      : decisions;
  const best = usable.sort((a, b) => rankOf(a) - rankOf(b))[0];
  if (best !== undefined) return best;
  return { kind: 'quarantine', detail: f.detail, path: f.path, source: f.source };
}

/** Which decision about a recorded run matters most: a live job first, an ended run last. */
function rankOf(d: RecoveryDecision): number {
  if (d.kind === 'finalize' || d.kind === 'requeue') return 2;
  return d.kind === 'wait' ? 1 : 0;
}

function decideRun(
  run: RecordedRun,
  source: LockSource,
  now: number,
  startStuckMs: number,
): RecoveryDecision {
  const { record, owner, job, exit, abort } = run;
  const silentMs = Math.max(0, now - (run.lastActivityAt ?? record.startedAt ?? now));
  const base = { record, source, abort, detectedAt: now };

  if (record.job === null || job === null) {
    // No job recorded: a start is in flight, or its starter died before spawning.
    if (owner.state === 'foreign') return { kind: 'halt', error: foreignError(record, owner.detail) };
    if (owner.state === 'alive') {
      if (now - record.createdAt > startStuckMs) {
        return { kind: 'halt', error: stuckStartError(record, now) };
      }
      return { kind: 'wait', record };
    }
    if (record.config.fromQueue === true) return { kind: 'requeue', record, source, now };
    return { ...base, kind: 'finalize', outcome: 'orphaned', exit: null, reason: 'starter-died' };
  }

  if (job.state === 'foreign') return { kind: 'halt', error: foreignError(record, job.detail) };
  if (job.state === 'alive') {
    if (abort === null)
      return { kind: 'reattach', record, source, silentMs, now, pausedAt: run.paused ?? null };
    // The record promises an interrupt and a kill at the deadline: carry out what is left.
    const resumed = resumedAbort(abort, now);
    const killNow = abort.forced || (resumed.interruptedAt !== null && resumed.graceLeftMs === 0);
    return { kind: 'resume-abort', record, source, abort, graceLeftMs: resumed.graceLeftMs, killNow, now };
  }
  if (exit !== null) {
    // A queued run's job that never ran its program (its starter died before letting it go) goes
    // back to the queue, unless an abort was asked for it (then it is recorded aborted).
    if (exit.notStarted === true && record.config.fromQueue === true && abort === null) {
      return { kind: 'requeue', record, source, now };
    }
    const outcome = outcomeOfExit(exit, abort, run.checkpoint ?? null);
    const reason = reasonOfExit(exit) ?? (outcome === 'aborted' ? (abort?.reason ?? null) : null);
    return { ...base, kind: 'finalize', outcome, exit, reason };
  }
  // Gone without an exit record (its monitor died too): an abort asked for still makes it aborted.
  // Nobody saw the job go: its last sign of life is when it ended at the earliest; `now` would
  // inflate the run by however long nobody looked.
  return {
    ...base,
    kind: 'finalize',
    outcome: outcomeOfLoss(abort),
    exit: null,
    reason: abort?.reason ?? job.reason,
    detectedAt: lastSignOf(run, now),
  };
}

/** The job's last sign of life (output, events), within [start, now]; `now` when unknown. */
function lastSignOf(run: RecordedRun, now: number): number {
  const last = run.lastActivityAt;
  if (last === null || last > now) return now;
  return Math.max(last, run.record.startedAt ?? last);
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

/**
 * True when a recovery decision changes nothing on disk: the workspace was idle, or the active
 * run was re-attached as it was (a reading process booting). Its journal lines would record a
 * look, not a transition, so the shells do not write them. No decision yet counts as nothing.
 */
export function changesNothing(decision: RecoveryDecision | null | undefined): boolean {
  if (decision === null || decision === undefined) return true;
  return decision.kind === 'idle' || (decision.kind === 'reattach' && decision.source.kind === 'active');
}
