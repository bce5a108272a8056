// The options and answers of the Workspace operations (start, abort, the workspace itself).
import type {
  CaptureOptions,
  Lineage,
  RecoveryNote,
  RestartPolicy,
  RetentionPolicy,
} from '../../machine/types.ts';
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
  // Issue 17 (run card, labels): see shells/api/run-meta.ts for the checks.
  /** Labels for `list --tag` (editable after the end). */
  readonly tags?: readonly string[];
  /** Free text shown by `show` (editable after the end). */
  readonly note?: string;
  /** Parameters (`--param k=v`) for `list --param` and `compare`. */
  readonly params?: Readonly<Record<string, string>>;
  /** What the run card captures besides its defaults (extra env patterns, packages). */
  readonly capture?: CaptureOptions;
  /** Capture the run card (default true): git, host, allowed env, GPUs; bounded, never delaying the start. */
  readonly card?: boolean;
  /** Issue 17: cap each log at this many bytes, keeping its first quarter and its newest part (at least 64 KiB; default: no cap). */
  readonly logMaxBytes?: number;
  /** Issue 17: sample the job's CPU, memory, I/O and GPUs this often (ms); null: never (default 10 s). */
  readonly sampleEveryMs?: number | null;
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
  /** The run to abort (issue 12; id or unique prefix): a queued one is removed without a process. Default: the single active run. */
  readonly runId?: string;
}

/** Timing and inspection of every session a workspace opens. */
export interface WorkspaceOptions {
  readonly timing?: Timing;
  readonly pollMs?: number;
  /** Forward every session's inspection events to this WebSocket inspector. */
  readonly inspectUrl?: string;
  /** Bound on every wait of an operation that does not wait for a run to end (default 30 s). */
  readonly operationTimeoutMs?: number;
  /**
   * Issue 12: what a job's monitor runs once the exit is recorded, so the next queued run starts
   * with no runwarden process alive (default `node <runwarden>/shells/cli/bin.js dispatch
   * --workspace <dir>`); false: no kick.
   */
  readonly kick?: readonly string[] | false;
}
