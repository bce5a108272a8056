// The words the slots, the queue and the scheduler share (issue 12). Pure data: no I/O.
//
// A workspace has slots; each slot holds at most one run at a time through today's lock
// protocol (slot 0's lock is the workspace's own `active.lock`, so a workspace without slot
// configuration is exactly today's). A run needing k GPUs holds k slots, all or nothing.
// Waiting runs are queue entries, published whole and claimed by an atomic rename; the
// scheduler (`machine/schedule.ts`) is a pure function of what the disk says.
import type { Outcome, RunConfig } from './types.ts';

/** The GPU a slot gives its run. Several slots may name one GPU (two small jobs per GPU). */
export interface SlotGpu {
  /** nvidia-smi's index (display only: the overlay names the GPU by UUID). */
  readonly index: number;
  readonly uuid: string;
  readonly busId: string;
}

/** One slot of a workspace: a name, its place, its environment overlay and its GPU. */
export interface SlotSpec {
  /** `[A-Za-z0-9][A-Za-z0-9._-]*`, unique in the workspace (`slot0`, `gpu0`, `gpu0b`). */
  readonly name: string;
  /** 0-based position; slot 0's lock is the workspace root's `active.lock`. */
  readonly index: number;
  /** Set in the job's environment (a GPU slot: CUDA_VISIBLE_DEVICES, CUDA_DEVICE_ORDER). */
  readonly env: Readonly<Record<string, string>>;
  readonly gpu: SlotGpu | null;
}

/** What a waiting run needs and waits for; fixed at submit. */
export interface QueueNeeds {
  /** GPUs on distinct GPUs, one slot each; 0 = one slot of any kind, with no GPU visible. */
  readonly gpus: number;
  /** Runs that must have ended, whatever their outcome (`--after`). */
  readonly after: readonly string[];
  /** Runs that must have finished successfully (`--after-ok`); any other end fails this entry. */
  readonly afterOk: readonly string[];
}

/** A run waiting in the queue, as its entry file holds it. */
export interface QueueEntry {
  readonly runId: string;
  /** Higher starts first; default 0. */
  readonly priority: number;
  /** When it was submitted (epoch ms): the arrival order, ties broken by `runId`. */
  readonly submittedAt: number;
  /** Held entries never start until released (`--hold`, `queue release`). */
  readonly held: boolean;
  readonly needs: QueueNeeds;
  /** The run's config as submitted; the slots' overlays are added when it starts. */
  readonly config: RunConfig;
  /**
   * The submitter's environment (issue 12, q-core): the job's `config.env` is merged over it, not
   * over whichever process dispatches it (a monitor's kick, another user command). Absent: that one's.
   */
  readonly baseEnv?: Readonly<Record<string, string>>;
}

/** What a scheduler knows of a dependency. */
export type DependencyState =
  | { readonly state: 'queued' }
  | { readonly state: 'live' }
  | { readonly state: 'ended'; readonly outcome: Outcome }
  /** No queue entry, lock or history record names it. */
  | { readonly state: 'missing' };

/** A slot as the scheduler sees it: busy while any lock or claim of it exists. */
export interface SlotState {
  readonly slot: SlotSpec;
  readonly busy: boolean;
}

/** Why the queue starts nothing: a user's `queue pause`, or a reboot since the last dispatch. */
export interface QueueHold {
  readonly reason: 'paused' | 'reboot';
  readonly since: number;
}

/** Everything one scheduling decision needs, read from disk. */
export interface ScheduleInput {
  readonly slots: readonly SlotState[];
  /** Unclaimed entries (claimed ones are being dispatched by someone). */
  readonly entries: readonly QueueEntry[];
  /** The state of every run named in an entry's `after` / `afterOk`. */
  readonly dependencies: Readonly<Record<string, DependencyState>>;
  readonly hold: QueueHold | null;
}

/** What the scheduler decides: start an entry on these slots, or end it without a process. */
export type ScheduleDecision =
  | { readonly kind: 'start'; readonly runId: string; readonly slots: readonly string[] }
  | {
      readonly kind: 'fail';
      readonly runId: string;
      /** The `afterOk` dependency that did not finish (or is missing). */
      readonly dependency: string;
      readonly dependencyOutcome: Outcome | 'missing';
    };

/** An entry some process took out of the queue by renaming it (to start it, edit it or end it). */
export interface ClaimedEntry {
  readonly runId: string;
  /** The claimed file's name in the queue directory (it records the claimer's identity). */
  readonly name: string;
  /** Whether the claimer still lives (pid + start time + boot id, as for a lock). */
  readonly claimer: 'alive' | 'gone';
  /** What became of its run: a history record, a lock (or claim) in some slot, or nothing yet. */
  readonly run: 'ended' | 'locked' | 'none';
}

/** One look at the queue: what the scheduler needs, and the claims left to account for. */
export interface QueueSnapshot extends ScheduleInput {
  readonly claimed: readonly ClaimedEntry[];
  /** The boot id differs from the one the queue last dispatched under (and it is not held yet). */
  readonly rebooted: boolean;
  readonly now: number;
}

/** An entry this dispatcher claimed: exactly one process holds it. */
export interface EntryClaim {
  readonly runId: string;
  readonly name: string;
  readonly entry: QueueEntry;
}

/*
 * The dispatch ports (implemented by runtime/local, faked by model/), all answering `Result<T>`
 * from machine/ports.ts, never throwing:
 *   readQueue:    ()                                   -> QueueSnapshot
 *   holdQueue:    { reason: 'reboot', at }              -> null   (the queue holds until resumed)
 *   restoreEntry: { name }                              -> null   (a dead claimer's entry goes back)
 *   dropEntry:    { name }                              -> null   (its run has its record: remove)
 *   claimEntry:   { runId }                             -> EntryClaim | 'gone' (someone else took it)
 *   startRun:     { claim: EntryClaim, slots }          -> 'started' | 'failed' | 'conflict'
 *       starts the run through the lifecycle machine of its first slot; resolves once the job is
 *       confirmed running ('started') or its start failed and was recorded ('failed'); 'conflict':
 *       a slot was taken meanwhile and nothing was started (the entry is restored by the caller).
 *   endEntry:     { claim: EntryClaim, outcome, reason, dependency? } -> null
 *       writes the run's single history record without a process, then removes the claim.
 */
