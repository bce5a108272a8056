// The effects the dispatch machine asks for (issue 12), as named actors whose defaults throw,
// like machine/ports.ts: runtime/local/queue-ports.ts supplies the real ones, model/ the fakes.
import { fromPromise } from 'xstate';
import type { Result } from './ports.ts';
import type { EntryClaim, QueueSnapshot } from './queue-types.ts';
import type { HistoryEntry } from './types.ts';

/** A claimed entry file, named for removal or restoring. */
export interface EntryFileInput {
  readonly name: string;
  readonly runId: string;
}

/**
 * What claiming an entry found: it is ours, someone else took it first ('gone'), or (a claim to
 * start it) the queue was held when the claim landed, so the entry was put back ('held').
 */
export type ClaimAnswer = EntryClaim | 'gone' | 'held';

/**
 * How a start went: the job is confirmed running, or its start failed and was recorded, or a slot
 * was taken meanwhile and nothing was started ('conflict': the caller restores the entry).
 */
export type StartAnswer = 'started' | 'failed' | 'conflict';

function missing(name: string): never {
  throw new Error(`runwarden: the '${name}' dispatch effect was not provided (use machine.provide)`);
}

/** Default dispatch actors: each throws until a runtime provides it. */
export const unprovidedDispatchPorts = {
  /** Recover every slot, then read the queue: entries, claims, slots, dependencies, hold, boot. */
  readQueue: fromPromise<Result<QueueSnapshot>>(async () => missing('readQueue')),
  /** Write queue/hold.json: the queue starts nothing until `queue resume`. */
  holdQueue: fromPromise<Result<null>, { reason: 'reboot'; at: number }>(async () => missing('holdQueue')),
  /** Put a dead claimer's entry back in the queue (its run never took a lock). Gone already: ok. */
  restoreEntry: fromPromise<Result<null>, EntryFileInput>(async () => missing('restoreEntry')),
  /** Remove a claimed entry whose run has its lock or its record. Gone already: ok. */
  dropEntry: fromPromise<Result<null>, EntryFileInput>(async () => missing('dropEntry')),
  /** Take an entry out of the queue by an atomic rename; exactly one claimer wins. */
  claimEntry: fromPromise<Result<ClaimAnswer>, { runId: string; forStart: boolean }>(async () =>
    missing('claimEntry'),
  ),
  /** Start the claimed run on these slots through the lifecycle machine of its first slot. */
  startRun: fromPromise<Result<StartAnswer>, { claim: EntryClaim; slots: readonly string[] }>(async () =>
    missing('startRun'),
  ),
  /** Write the run's single history record without a process, then remove the claim. */
  endEntry: fromPromise<Result<null>, { claim: EntryClaim; entry: HistoryEntry }>(async () =>
    missing('endEntry'),
  ),
};
