// The words the lifecycle machine and its ports share. Pure data: no I/O, no classes.
//
// The machine never speaks of pids: a job is an opaque `JobHandle` and a supervisor an
// opaque `OwnerHandle`, both minted and interpreted by a runtime (local processes today,
// Slurm or worker threads later). Times are epoch milliseconds handed in by events.

/**
 * What a run ended as. Exactly one per run, written once into the history. `suspended` (issue 14):
 * the job saved a checkpoint on a checkpoint-and-exit request, acknowledged it, then exited.
 */
export type Outcome = 'finished' | 'failed' | 'aborted' | 'orphaned' | 'suspended';

/** What to do with a run's directory once it ended with a given outcome. */
export type RetentionAction = 'keep' | 'delete';

/** Retention per outcome. Default (issue 14): keep every run's directory; `runwarden prune` deletes. */
export type RetentionPolicy = Readonly<Record<Exclude<Outcome, 'suspended'>, RetentionAction>>;

/** The immutable snapshot a run is started with; copied into the lock and the run directory. */
export interface RunConfig {
  readonly runId: string;
  readonly name: string;
  /** Program and arguments, never a shell string. */
  readonly argv: readonly string[];
  readonly cwd: string;
  /** Extra environment variables for the job (on top of the supervisor's). */
  readonly env: Readonly<Record<string, string>>;
  /** Time between SIGINT and SIGKILL when aborting. */
  readonly graceMs: number;
  /** Silence (no event, no log growth) after which a running job counts as stalled; null = never. */
  readonly stallAfterMs: number | null;
  /** Abort the run when it becomes stalled. */
  readonly abortOnStall: boolean;
  readonly retention: RetentionPolicy;
  /** The slots the run holds, by name (issue 12); absent: slot 0 alone, today's single run. */
  readonly slots?: readonly string[];
  /** The run came from the queue: a start that never let its job go puts it back there. */
  readonly fromQueue?: boolean;
  /** Labels given at start (issue 17: `--tag`); the history record's `tags` can change later. */
  readonly tags?: readonly string[];
  /** A free-text note given at start (issue 17: `--note`). */
  readonly note?: string;
  /** Parameters given at start (issue 17: `--param k=v`); the job may add more with `params` events. */
  readonly params?: Readonly<Record<string, string>>;
  /** What the run card captures beyond its defaults (issue 17); absent: the defaults. */
  readonly capture?: CaptureOptions;
  /** Issue 17 (sys): each log is capped at this many bytes (head + newest part); absent: not capped. */
  readonly logMaxBytes?: number;
  /** Issue 17 (sys): resource sampling period (ms); null: no sampling; absent: the default (10 s). */
  readonly sampleEveryMs?: number | null;
  /** Issue 14: the run this one resumes or retries, the lineage they share, and the restart count. */
  readonly lineage?: Lineage;
  /** Issue 14: the signal a checkpoint request sends the job's group (default SIGUSR1). */
  readonly checkpointSignal?: string;
  /** Issue 14: run at most this long (ms from the job's start); then aborted as by a user. */
  readonly timeLimitMs?: number;
  /** Issue 14: with `timeLimitMs`, ask for checkpoint-and-exit this long before the limit. */
  readonly checkpointBeforeMs?: number;
  /** Issue 14: restart the run as a new one when it ends so (--retries, --auto-resume). */
  readonly retries?: RestartPolicy;
}

/**
 * Issue 14: when an ended run is started again as a new run of its lineage. By default only
 * infrastructure failures are retried (orphaned by a reboot, killed by SIGKILL without an abort:
 * the OOM killer, or preempted); code errors only when `onExit` names their exit code.
 */
export interface RestartPolicy {
  /** Retries in all across the lineage (attempts after the first); 0: none. */
  readonly max: number;
  /** Also retry a failure with one of these exit codes (128 + N also matches signal N). */
  readonly onExit: readonly number[];
  /** Also retry any orphaned run (not only one orphaned by a reboot). */
  readonly onOrphan: boolean;
  /** First back-off (doubling per restart, capped at 10 minutes). */
  readonly backoffMs: number;
  /** Resume a `suspended` run at once (not counted against `max`). */
  readonly autoResume: boolean;
}

/** Issue 14: why a checkpoint was asked for. */
export type CheckpointReason = 'user' | 'time-limit' | 'preempt' | 'queue';

/**
 * Issue 14: a checkpoint request as the run directory's control file records it (the newest one).
 * `exit`: checkpoint-and-exit (the job acks and exits; no answer by `deadlineAt`: aborted).
 */
export interface CheckpointRequest {
  /** 1, 2, … per run: the job answers with this number. */
  readonly seq: number;
  readonly reason: CheckpointReason;
  readonly exit: boolean;
  readonly requestedAt: number;
  /** Checkpoint-and-exit only: when the fallback abort (SIGINT, grace, SIGKILL) begins. */
  readonly deadlineAt: number | null;
  /** The signal sent to the job's group, e.g. SIGUSR1. */
  readonly signal: string;
}

/** Issue 14: what the run directory says about checkpoints when the job ended (facts for the outcome). */
export interface CheckpointFacts {
  /** The newest request (null: none was made). */
  readonly request: CheckpointRequest | null;
  /** When the job acknowledged `request` (an `ack` event naming its seq); null: no ack. */
  readonly ackedAt: number | null;
  /** The newest complete checkpoint the job reported (explicit events win over parsed lines). */
  readonly newest: CheckpointRef | null;
}

/** Issue 14: one logical run across restarts (`runwarden resume`, retries). */
export interface Lineage {
  /** The run this one continues (resume) or repeats (retry). */
  readonly parentId: string;
  /** The same for every run of the lineage: the first run's id (RUNWARDEN_LINEAGE_ID). */
  readonly lineageId: string;
  /** 1 for the first restart (RUNWARDEN_RESTART_COUNT). */
  readonly restartCount: number;
  /** The checkpoint handed to the job (RUNWARDEN_RESUME_FROM); null: none was found on disk. */
  readonly resumeFrom?: string | null;
  /** Why this run was started: `resume` (asked, or --auto-resume) or `retry` (--retries). */
  readonly kind?: 'resume' | 'retry';
  /** Retries (not resumes) in the lineage so far, this run included when it is one. */
  readonly retriesSoFar?: number;
}

/** Run card options (issue 17): extra environment names and packages. */
export interface CaptureOptions {
  /** Environment name patterns (`*` wildcards) recorded besides CUDA_*, SLURM_*, RUNWARDEN_*. */
  readonly env?: readonly string[];
  /** Also record `pip freeze` / `npm ls` output (bounded). */
  readonly packages?: boolean;
}

/** A runtime's identity of a job (for local runs: pid + start time + boot id). Opaque here. */
export type JobHandle = Readonly<Record<string, string | number>> & { readonly kind: string };

/** A runtime's identity of a supervisor process holding a lock. Opaque here. */
export type OwnerHandle = Readonly<Record<string, string | number>> & { readonly kind: string };

/** The content of the workspace lock: who holds it, for which run, which job. */
export interface LockRecord {
  readonly runId: string;
  /** Unique per acquisition, so a claimer can tell this lock from a later one for the same run. */
  readonly nonce: string;
  readonly createdAt: number;
  readonly owner: OwnerHandle;
  /** Null until the job is spawned and its identity recorded. */
  readonly job: JobHandle | null;
  /** When the job was spawned; null with `job`. */
  readonly startedAt: number | null;
  readonly config: RunConfig;
}

/** A lock that a finaliser has taken out of the way by an atomic rename. */
export interface ClaimRef {
  readonly name: string;
  readonly record: LockRecord;
  /** The claimed file is unreadable (why): releasing it quarantines it rather than deleting it. */
  readonly unreadable?: string;
}

/** The job's exit as recorded durably by its monitor. */
export interface ExitRecord {
  readonly code: number | null;
  readonly signal: string | null;
  readonly endedAt: number;
  /** The job never ran its program (its starter died before letting it go). */
  readonly notStarted?: boolean;
}

/**
 * An abort that was asked for, recorded before anything is signalled so that whoever finds it
 * (a recovering process, an observer) carries it out: the record is a promise, not a log.
 */
export interface AbortRequest {
  readonly requestedAt: number;
  readonly graceMs: number;
  /** SIGKILL was already asked for. */
  readonly forced: boolean;
  /**
   * When the interrupt was delivered (the monitor asked, or SIGINT sent): the grace counts from
   * here. Null or absent: recorded, not known delivered; whoever finds it delivers it.
   */
  readonly interruptedAt?: number | null;
  /** Why the run is aborted when a rule asked for it (`stalled`), kept for the history record. */
  readonly reason?: EndReason | null;
}

/** What a liveness probe found for a recorded identity. */
export type Liveness =
  | { readonly state: 'alive' }
  | { readonly state: 'foreign'; readonly detail: string }
  | { readonly state: 'gone'; readonly reason: GoneReason };

/**
 * Why a recorded process is no longer the one we started. `exit-record-corrupt`: it is gone and
 * left an exit record that cannot be read (damaged, or not a regular file).
 */
export type GoneReason = 'process-gone' | 'reboot' | 'pid-reused' | 'exit-record-corrupt';

/** Why a run ended without its supervisor seeing it end. */
export type EndReason =
  | GoneReason
  | 'starter-died'
  | 'start-timeout'
  | 'spawn-failed'
  | 'start-interrupted'
  | 'stalled'
  /** Queue ends without a process (issue 12): an `--after-ok` dependency did not finish. */
  | 'dependency-failed'
  /** `runwarden queue rm`: taken out of the queue before it started. */
  | 'removed-from-queue'
  /** `runwarden abort` of a run still waiting in the queue. */
  | 'aborted-in-queue'
  /** Issue 14: the run reached its `--time-limit` (without suspending on the checkpoint request). */
  | 'time-limit';

/**
 * Where a lock found at boot lives: the workspace's active lock or a half-finished claim.
 * `unreadable` (why, naming the file): that file is corrupt; the record was read from the run
 * directory's copy instead.
 */
export type LockSource =
  | { readonly kind: 'active'; readonly unreadable?: string }
  | { readonly kind: 'claim'; readonly name: string; readonly unreadable?: string };

/** A run as its records on disk show it (from the lock, a claim, or the run directory's copy). */
export interface RecordedRun {
  readonly record: LockRecord;
  /** Liveness of the lock's owner (or claimer); only consulted while the job is not yet recorded. */
  readonly owner: Liveness;
  /** Liveness of the recorded job; null when no job was recorded yet. */
  readonly job: Liveness | null;
  readonly exit: ExitRecord | null;
  readonly abort: AbortRequest | null;
  /** The last sign of life of the job seen on disk (newest log or events write); null if none. */
  readonly lastActivityAt: number | null;
  /** Issue 14: the checkpoint facts of the run directory (absent: none read). */
  readonly checkpoint?: CheckpointFacts | null;
  /** Issue 14: when the run was paused, from its pause record (absent or null: not paused). */
  readonly paused?: number | null;
}

/** Everything recovery needs to decide, read from disk and probed, as plain facts. */
export type DiskFinding =
  | { readonly lock: 'absent'; readonly now: number }
  | {
      /** The lock or a claim is corrupt or records an invalid identity. */
      readonly lock: 'unreadable';
      readonly detail: string;
      /** The unreadable file, for messages. */
      readonly path: string;
      readonly source: LockSource;
      /** For a claim: the liveness of the claimer its name records; null for the active lock. */
      readonly claimer: Liveness | null;
      /**
       * Runs recorded only in their run directories (an identity copy, no history record, no
       * readable lock or claim naming them): the run the unreadable file belonged to is among them.
       */
      readonly runs: readonly RecordedRun[];
      readonly now: number;
    }
  | ({
      readonly lock: 'present';
      readonly source: LockSource;
      readonly now: number;
    } & RecordedRun);

/** An operating error carried as data (never thrown across a port). */
export interface ErrorInfo {
  readonly code: string;
  readonly message: string;
}

/** One line of the workspace history: the single record every run ends with. */
export interface HistoryEntry {
  readonly runId: string;
  readonly name: string;
  readonly outcome: Outcome;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly startedAt: number | null;
  readonly endedAt: number;
  readonly reason: EndReason | null;
  readonly error: ErrorInfo | null;
  readonly config: RunConfig;
  /** With reason `dependency-failed`: the dependency that did not finish, and how it ended. */
  readonly dependency?: { readonly runId: string; readonly outcome: Outcome | 'missing' };
  /** Issue 14: the checkpoint a `suspended` run saved and acknowledged (the one to resume from). */
  readonly checkpoint?: CheckpointRef;
}

/** Issue 14: a checkpoint a job reported complete (`checkpoint` event, `complete: true`). */
export interface CheckpointRef {
  readonly path: string;
  readonly step: number | null;
  /** The sequence number of the request it answered; null for a checkpoint the job took itself. */
  readonly request: number | null;
}

/** The abort in progress, as the machine tracks it. */
export interface AbortState {
  readonly requestedAt: number;
  readonly graceMs: number;
  /** Grace still to wait when the machine (re)entered the graceful phase. */
  readonly graceLeftMs: number;
  readonly forced: boolean;
  /** Found on disk (by recovery or an observer) rather than asked of this actor. */
  readonly resumed: boolean;
  /** When the interrupt was delivered, if known; null: the interrupt port delivers it. */
  readonly interruptedAt: number | null;
  /** When this actor's grace began to count (the delivery, or when it took the abort over). */
  readonly graceFrom: number;
  /** Why a rule asked for the abort (`stalled`); null for a user's abort. */
  readonly reason: EndReason | null;
}

/** Something recovery did that a user should hear about, with the reason. */
export interface RecoveryNote {
  readonly kind:
    | 'orphaned'
    | 'ended-unwatched'
    | 'quarantined'
    | 'abort-resumed'
    | 'lock-unreadable'
    /** Issue 12: a queued run's start never let its job go; it goes back to the queue. */
    | 'requeued';
  readonly runId: string | null;
  readonly reason: string;
}
