// The options and answers of the Workspace operations (start, abort, the workspace itself).
import type { Lineage, RecoveryNote, RestartPolicy, RetentionPolicy } from '../../machine/types.ts';
import type { Timing } from './session.ts';

/** How to start a run. Only `argv` is required. */
export interface StartOptions {
  /** Program and arguments; never a shell string. */
  readonly argv: readonly string[];
  /** A short name for the run (default: the program's base name). */
  readonly name?: string;
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** SIGINT-to-SIGKILL grace when aborting (default 30 s). */
  readonly graceMs?: number;
  /** Silence after which the run counts as stalled (default: never). */
  readonly stallAfterMs?: number | null;
  readonly abortOnStall?: boolean;
  /** Keep or delete the run directory per outcome (default: keep every run's directory). */
  readonly retention?: Partial<RetentionPolicy>;
  // Issue 14: checkpoints and time limits.
  /** The signal checkpoint requests send the job's group (default SIGUSR1; e.g. SIGUSR2 for NCCL jobs). */
  readonly checkpointSignal?: string;
  /** Run at most this long from the job's start; then it is aborted (reason `time-limit`). */
  readonly timeLimitMs?: number;
  /** With `timeLimitMs`: ask for checkpoint-and-exit this long before the limit (like Slurm's --signal=USR1@300). */
  readonly checkpointBeforeMs?: number;
  /** The run this one resumes or retries (set by `resumeRun`; not for direct use). */
  readonly lineage?: Lineage;
  /** Restart the run as a new one when it ends so (--retries, --auto-resume): see RestartPolicy. */
  readonly retries?: RestartPolicy;
}

/** A run confirmed running. */
export interface StartedRun {
  readonly id: string;
  readonly dir: string;
  readonly pid: number;
  /** What recovery did before the start (a stale lock cleaned up, an unwatched end recorded). */
  readonly recovered: readonly RecoveryNote[];
}

/** How to abort the active run. */
export interface AbortOptions {
  /** SIGKILL now instead of SIGINT first. */
  readonly force?: boolean;
  /** Override the run's grace for this abort. */
  readonly graceMs?: number;
  /** Wait for the run to end (default true); otherwise return once the abort is under way. */
  readonly wait?: boolean;
}

/** Timing and inspection of every session a workspace opens. */
export interface WorkspaceOptions {
  readonly timing?: Timing;
  readonly pollMs?: number;
  /** Forward every session's inspection events to this WebSocket inspector. */
  readonly inspectUrl?: string;
  /** Bound on every wait of an operation that does not wait for a run to end (default 30 s). */
  readonly operationTimeoutMs?: number;
}
