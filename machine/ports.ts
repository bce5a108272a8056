// The effects the machine asks for, as named actors whose defaults throw. A runtime supplies
// the real ones with `lifecycleMachine.provide({ actors })`; tests supply fakes the same way.
import { fromCallback, fromPromise } from 'xstate';
import type { SuspendState } from './context.ts';
import type {
  AbortRequest,
  AbortState,
  CheckpointFacts,
  CheckpointRequest,
  ClaimRef,
  DiskFinding,
  ErrorInfo,
  ExitRecord,
  GoneReason,
  HistoryEntry,
  JobHandle,
  LockRecord,
  LockSource,
  Outcome,
  RunConfig,
} from './types.ts';

/** A port's answer: operating errors are values, never exceptions. */
export type Result<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: ErrorInfo };

/** What `watchJob` reports about the job it watches. */
export type JobReport =
  | {
      readonly type: 'process.exited';
      readonly exit: ExitRecord;
      /** An abort request found on disk with the exit: another process may have asked for it. */
      readonly abort: AbortRequest | null;
      /** Issue 14: the checkpoint request and the job's answer found on disk with the exit. */
      readonly checkpoint?: CheckpointFacts | null;
    }
  | { readonly type: 'process.lost'; readonly reason: GoneReason; readonly at: number }
  /** An abort record appeared or changed on disk (another process asked): every watcher takes it over. */
  | { readonly type: 'abort.recorded'; readonly abort: AbortRequest; readonly at: number }
  | { readonly type: 'job.activity'; readonly at: number }
  /** Issue 14: the run's pause record appeared (another process paused it) or went away. */
  | { readonly type: 'job.paused'; readonly at: number }
  | { readonly type: 'job.continued'; readonly at: number }
  /** Issue 14: a checkpoint request appeared in the run's control file (another process asked). */
  | { readonly type: 'checkpoint.recorded'; readonly request: CheckpointRequest; readonly at: number };

/** What `watchWorkspace` reports. */
export type WorkspaceReport = { readonly type: 'lock.appeared' };

export interface AcquireInput {
  readonly config: RunConfig;
  readonly at: number;
}
export interface SpawnOutput {
  readonly lock: LockRecord;
  readonly handle: JobHandle;
  readonly at: number;
}
export interface SignalInput {
  readonly lock: LockRecord;
  readonly abort: AbortState;
}
/** Issue 14: which job to pause or continue, and when it was asked. */
export interface PauseInput {
  readonly lock: LockRecord;
  readonly at: number;
}
/** Issue 14: what `requestCheckpoint` is asked to deliver. */
export interface CheckpointInput {
  readonly lock: LockRecord;
  readonly suspend: SuspendState;
}
export interface ClaimInput {
  readonly source: LockSource;
  readonly record: LockRecord;
}
export interface RetentionInput {
  readonly claim: ClaimRef;
  readonly outcome: Outcome;
}
export interface HistoryInput {
  readonly claim: ClaimRef;
  readonly entry: HistoryEntry;
}

function missing(name: string): never {
  throw new Error(`runwarden: the '${name}' effect was not provided (use machine.provide)`);
}

/** Default actors: each throws until a runtime provides it. */
export const unprovidedPorts = {
  /** Read the workspace lock, probe the identities it records, read exit and abort records. */
  inspectDisk: fromPromise<DiskFinding>(async () => missing('inspectDisk')),
  /** Move an unreadable lock or claim aside (no run left to account for): the workspace is usable again. */
  quarantineLock: fromPromise<
    Result<{ movedTo: string }>,
    { detail: string; path: string; source: LockSource }
  >(async () => missing('quarantineLock')),
  /** While idle: report `lock.appeared` when another process takes the workspace lock. */
  watchWorkspace: fromCallback<{ type: 'noop' }>(() => missing('watchWorkspace')),
  /** Create the workspace lock exclusively (O_EXCL) for a new run. */
  acquireLock: fromPromise<Result<LockRecord>, AcquireInput>(async () => missing('acquireLock')),
  /** Start the job under its monitor and record its identity in the lock. */
  spawnJob: fromPromise<Result<SpawnOutput>, { lock: LockRecord }>(async () => missing('spawnJob')),
  /** Watch a live job: report its exit, its disappearance and signs of life. */
  watchJob: fromCallback<{ type: 'noop' }, { lock: LockRecord }>(() => missing('watchJob')),
  /**
   * Record the abort durably (unless it was found on disk), then deliver the interrupt unless
   * `abort.interruptedAt` says it was delivered (ask the monitor, which escalates on its own; SIGINT
   * the group if it is gone), then record when it was delivered. Identity checked.
   */
  interruptJob: fromPromise<Result<null>, SignalInput>(async () => missing('interruptJob')),
  /**
   * Issue 14: record a checkpoint-and-exit request in the run directory's control file (atomic,
   * next sequence number, reason, deadline), tell the monitor its deadline (it aborts then even
   * with no runwarden alive), then send the checkpoint signal to the job's group, identity checked.
   */
  requestCheckpoint: fromPromise<Result<CheckpointRequest>, CheckpointInput>(async () =>
    missing('requestCheckpoint'),
  ),
  /** Issue 14: record the pause, then SIGSTOP the job's group, identity checked. */
  pauseJob: fromPromise<Result<null>, PauseInput>(async () => missing('pauseJob')),
  /** Issue 14: SIGCONT the job's group, identity checked, then remove the pause record. */
  continueJob: fromPromise<Result<null>, PauseInput>(async () => missing('continueJob')),
  /** Kill the job's group (SIGKILL), identity checked. */
  killJob: fromPromise<Result<null>, SignalInput>(async () => missing('killJob')),
  /** Take the lock out of the way by an atomic rename; exactly one claimer wins. */
  claimLock: fromPromise<Result<ClaimRef>, ClaimInput>(async () => missing('claimLock')),
  /** Write the run's single history record (idempotent per run id). */
  recordHistory: fromPromise<Result<null>, HistoryInput>(async () => missing('recordHistory')),
  /** Keep or delete the run's directory according to its outcome. */
  applyRetention: fromPromise<Result<null>, RetentionInput>(async () => missing('applyRetention')),
  /**
   * Remove the run directory of a queued run whose start never let its job go (issue 12 `requeue`):
   * no history record is written; its queue entry goes back. Already gone: ok.
   */
  discardRun: fromPromise<Result<null>, { claim: ClaimRef }>(async () => missing('discardRun')),
  /** Remove the claimed lock: the last step of every run. */
  releaseLock: fromPromise<Result<null>, { claim: ClaimRef }>(async () => missing('releaseLock')),
};
