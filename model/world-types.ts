// The things of the model's world — processes, faults, lock slots, claims, deliveries, incidents
// and job behaviours — as plain types; world.ts holds the world that changes them.
import type { LockRecord } from '../machine/types.ts';

/** A job process as the model knows it. */
export interface Proc {
  readonly pid: number;
  readonly startTime: number;
  readonly boot: number;
  readonly runId: string;
  /** The supervisor that spawned it; while paused, the job dies with it (its go pipe closes). */
  readonly starter: number;
  alive: boolean;
  /** Still waiting for its starter's go; a job that never gets it exits without running. */
  paused: boolean;
  /** When it exits on its own, relative to its release; null = runs until signalled. */
  readonly runsForMs: number | null;
  readonly exitCode: number;
  readonly ignoresSigint: boolean;
  /** Issue 14: ms after a checkpoint request it saves and acks (then exits 0); null: ignores requests. */
  readonly checkpointAckMs?: number | null;
  /** Issue 14: SIGSTOPped: a SIGINT waits until SIGCONT (SIGKILL does not). */
  stopped?: boolean;
  /** Issue 14: a SIGINT that arrived while stopped. */
  intPending?: boolean;
  /** Issue 14: saving for a checkpoint-and-exit request: later requests add nothing. */
  answering?: boolean;
}

/** Misbehaviour the world can be asked for. */
export interface Faults {
  spawnFails: boolean;
  /** The job's monitor dies with it: no exit record is written. */
  monitorDies: boolean;
  /** A new unrelated process takes an exited job's pid (checked by identity). */
  reusePids: boolean;
  /** A broken adapter that signals by pid without checking identity (for mutation tests). */
  skipIdentityCheck: boolean;
  /** Latency of every disk/process operation, in simulated ms. */
  opDelayMs: number;
  /**
   * The process asking for an abort dies right after one durable step of it: having recorded
   * the abort, having delivered the interrupt, or having recorded that SIGKILL was asked.
   */
  abortCrashAfter: 'recorded' | 'delivered' | 'forced' | null;
  /**
   * Every rename, create, write and unlink of the workspace fails with this errno while set
   * (a permission change, a read-only remount, a full disk). The monitor keeps a job's exit and
   * writes it once the disk takes writes again (it retries for as long as it lives).
   */
  diskRefuses: DiskErrno | null;
  /**
   * Every job's monitor is SIGSTOPped: it neither reaps a job that dies (so the run stays live:
   * the monitor lives) nor records its exit nor escalates an abort, until it is resumed.
   */
  monitorStopped: boolean;
}

/** The errors a refused disk operation fails with. */
export type DiskErrno = 'EACCES' | 'EROFS' | 'ENOSPC';

/**
 * The workspace lock. A corrupt one (torn by power loss, damaged, or naming an invalid identity)
 * still occupies the slot; `runId` is the model's ground truth of whose lock it was (no port sees it).
 */
export type LockSlot =
  | { readonly kind: 'record'; readonly record: LockRecord }
  | { readonly kind: 'corrupt'; readonly detail: string; readonly runId: string | null };

export interface Claim {
  readonly record: LockRecord;
  readonly claimer: number;
  /** The claim file is unreadable (ports see only that); `record` is the ground truth. */
  readonly corrupt?: string;
}

/** An interrupt the job's monitor received: it escalates to SIGKILL `graceMs` later on its own. */
export interface Delivery {
  readonly at: number;
  readonly graceMs: number;
}

/** A safety violation seen while an operation ran (checked by the invariants). */
export interface Incident {
  readonly at: number;
  readonly what: string;
}

/** How a model job behaves. */
export interface JobSpec {
  readonly runsForMs: number | null;
  readonly exitCode: number;
  readonly ignoresSigint: boolean;
  /** Issue 14: ms after a checkpoint request it saves and acks (then exits 0); null: ignores requests. */
  readonly checkpointAckMs?: number | null;
}

/** Issue 14: a signal that reached a job (ground truth, for the checkpoint properties). */
export interface SignalSent {
  readonly runId: string;
  readonly sig: 'SIGINT' | 'SIGKILL';
  readonly at: number;
}
