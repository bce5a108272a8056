// The machine's context and events, and the pure updates its transitions apply.
import type { JobReport, WorkspaceReport } from './ports.ts';
import type { RecoveryDecision } from './recovery.ts';
import { defaultRetry, type RetryPolicy } from './retry.ts';
import type {
  AbortRequest,
  AbortState,
  CheckpointFacts,
  CheckpointReason,
  ClaimRef,
  EndReason,
  ErrorInfo,
  ExitRecord,
  HistoryEntry,
  JobHandle,
  LockRecord,
  LockSource,
  Outcome,
  RecoveryNote,
  RunConfig,
} from './types.ts';

/**
 * What the machine knows. Run-scoped fields are null in `idle`; `handle` is non-null only
 * once a job exists; `outcome` only while claiming/finalizing; `claim` only while finalizing.
 */
export interface LifecycleContext {
  /** How long a live starter may hold the lock before recovery calls the start stuck. */
  readonly startStuckMs: number;
  /** How failed claims and finalising steps are retried (back-off and bound). */
  readonly retry: RetryPolicy;
  /**
   * Failed attempts of the step being retried (a claim, a finalising step); 0 when none is.
   * Not run-scoped: it survives re-entering recovery, which is what bounds a claim that keeps failing.
   */
  readonly attempts: number;
  readonly run: RunConfig | null;
  readonly lock: LockRecord | null;
  readonly source: LockSource | null;
  readonly handle: JobHandle | null;
  readonly startRequestedAt: number | null;
  readonly startedAt: number | null;
  readonly lastActivityAt: number | null;
  /** Silence left before the run counts as stalled; null when stalls are not watched. */
  readonly stallLeftMs: number | null;
  /** When this actor began to watch the run (spawned it, or re-attached to it). */
  readonly watchingSince: number | null;
  readonly abort: AbortState | null;
  readonly exit: ExitRecord | null;
  readonly outcome: Outcome | null;
  readonly reason: EndReason | null;
  readonly detectedAt: number | null;
  /**
   * The error the run ended with (a failed spawn, a start timeout), kept for its history record
   * and for the starter: a later claiming or finalising error (in `error`) never replaces it.
   */
  readonly endError: ErrorInfo | null;
  readonly claim: ClaimRef | null;
  readonly decision: RecoveryDecision | null;
  /** The last operating error of the current run (or of the last rejected start). */
  readonly error: ErrorInfo | null;
  /** The history record of the run this actor finalised last. */
  readonly lastEnded: HistoryEntry | null;
  /** What recovery did since this actor booted (bounded). */
  readonly recovered: readonly RecoveryNote[];
  /** Issue 14: the checkpoint-and-exit request this actor made and waits on; null when none. */
  readonly suspend: SuspendState | null;
  /** Issue 14: the checkpoint facts the job's exit came with (for the outcome). */
  readonly checkpoint: CheckpointFacts | null;
  /** Issue 14: when the job was paused (SIGSTOP to its group); null while it is not. */
  readonly pausedAt: number | null;
}

/** Issue 14: a checkpoint-and-exit request in progress, as the machine tracks it. */
export interface SuspendState {
  readonly requestedAt: number;
  /** Time the job has to checkpoint, ack and exit before the fallback abort. */
  readonly graceMs: number;
  readonly reason: CheckpointReason;
}

/** Commands from users (imperative) and facts from the job's watcher (past tense). */
export type LifecycleEvent =
  | { readonly type: 'run.start'; readonly config: RunConfig; readonly at: number }
  | { readonly type: 'run.abort'; readonly at: number; readonly graceMs?: number }
  | { readonly type: 'run.force'; readonly at: number }
  | { readonly type: 'run.recover' }
  /** Issue 14: pause the job (SIGSTOP to its group) / let it go on (SIGCONT). */
  | { readonly type: 'run.pause'; readonly at: number }
  | { readonly type: 'run.continue'; readonly at: number }
  /** Issue 14: checkpoint-and-exit: the job saves, acks and exits; no answer in `graceMs`: aborted. */
  | {
      readonly type: 'run.checkpoint';
      readonly at: number;
      readonly graceMs: number;
      readonly reason?: CheckpointReason;
    }
  | JobReport
  | WorkspaceReport;

/** What the machine tells listeners without changing state. */
export type LifecycleEmitted = {
  readonly type: 'command.rejected';
  readonly command: LifecycleEvent['type'];
  readonly error: ErrorInfo;
};

/** Tuning a caller may pass when creating the actor. */
export interface LifecycleInput {
  readonly startStuckMs?: number;
  readonly retry?: Partial<RetryPolicy>;
}

/** The most recovery notes one actor keeps (a loop bound, not a expected count). */
export const recoveredMax = 32;

const runScoped = {
  run: null,
  lock: null,
  source: null,
  handle: null,
  startRequestedAt: null,
  startedAt: null,
  lastActivityAt: null,
  stallLeftMs: null,
  watchingSince: null,
  abort: null,
  exit: null,
  outcome: null,
  reason: null,
  detectedAt: null,
  endError: null,
  claim: null,
  decision: null,
  suspend: null,
  checkpoint: null,
  pausedAt: null,
} as const satisfies Partial<LifecycleContext>;

/** The context at boot. */
export function initialContext(input: LifecycleInput): LifecycleContext {
  return {
    ...runScoped,
    startStuckMs: input.startStuckMs ?? 120_000,
    retry: { ...defaultRetry, ...input.retry },
    attempts: 0,
    error: null,
    lastEnded: null,
    recovered: [],
  };
}

/** The run-scoped fields reset, as on entering idle. */
export function clearedRun(): typeof runScoped {
  return runScoped;
}

/** A fresh abort requested by a user (or by the stall rule, `reason`) at `at`. */
export function newAbort(
  at: number,
  graceMs: number,
  forced: boolean,
  reason: EndReason | null = null,
): AbortState {
  return {
    requestedAt: at,
    graceMs,
    graceLeftMs: graceMs,
    forced,
    resumed: false,
    interruptedAt: null,
    graceFrom: at,
    reason,
  };
}

/**
 * An abort found on disk at `now`, taken over with the grace it has left: counted from its
 * delivery when that is recorded, else in full from now (the interrupt port delivers it).
 */
export function resumedAbort(found: AbortRequest, now: number): AbortState {
  const interruptedAt = found.interruptedAt ?? null;
  const graceFrom = interruptedAt ?? now;
  return {
    requestedAt: found.requestedAt,
    graceMs: found.graceMs,
    forced: found.forced,
    resumed: true,
    interruptedAt,
    graceFrom,
    graceLeftMs: Math.max(0, graceFrom + found.graceMs - now),
    reason: found.reason ?? null,
  };
}

/** The abort as it is recorded on disk. */
export function abortRequestOf(abort: AbortState): AbortRequest {
  return {
    requestedAt: abort.requestedAt,
    graceMs: abort.graceMs,
    forced: abort.forced,
    interruptedAt: abort.interruptedAt,
    reason: abort.reason,
  };
}

/** Append a recovery note, keeping the list bounded. */
export function withNote(notes: readonly RecoveryNote[], note: RecoveryNote): readonly RecoveryNote[] {
  return [...notes, note].slice(-recoveredMax);
}

/** The note recovery leaves when it finalises a run it did not watch end. */
export function finalizeNote(decision: RecoveryDecision): RecoveryNote | null {
  if (decision.kind !== 'finalize') return null;
  const runId = decision.record.runId;
  if (decision.outcome === 'orphaned') {
    return { kind: 'orphaned', runId, reason: decision.reason ?? 'process-gone' };
  }
  const how = decision.exit?.signal ?? `code ${decision.exit?.code ?? '?'}`;
  return { kind: 'ended-unwatched', runId, reason: `${decision.outcome} (${how})` };
}
