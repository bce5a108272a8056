// What a user sees of a workspace: the machine's snapshot turned into plain data (no decisions).
import type { SnapshotFrom } from 'xstate';
import type { lifecycleMachine } from '../../machine/lifecycle.ts';
import type { ErrorInfo, JobHandle, RecoveryNote } from '../../machine/types.ts';
import type { ProgressSummary } from '../../runtime/progress/progress-summary.ts';

/** The states a user can see; sub-states of the machine fold into these. */
export type RunState =
  | 'recovering'
  | 'idle'
  | 'starting'
  | 'running'
  | 'stalled'
  | 'aborting'
  /** Issue 14: a checkpoint-and-exit request is out; the job has its grace to save, ack and exit. */
  | 'suspending'
  /** Issue 14: the job's group is stopped (SIGSTOP); `continue` lets it go on. */
  | 'paused'
  | 'finalizing'
  | 'halted';

/** The active run as a user sees it. */
export interface RunView {
  readonly id: string;
  readonly name: string;
  readonly dir: string;
  /**
   * Program and arguments, cut to `argvCharsMax` characters in all: a cut argument ends with
   * `…[N more characters]` and further arguments are left out (`argvChars` says how long it was).
   */
  readonly argv: readonly string[];
  /** Characters of the whole argv (its arguments' lengths added), cut or not. */
  readonly argvChars: number;
  /** True when `argv` was cut for the view (the run's config keeps it whole). */
  readonly argvCut: boolean;
  /** The job's pid; null before it was spawned. */
  readonly pid: number | null;
  readonly startedAt: number | null;
  readonly elapsedMs: number | null;
  /** The last sign of life (an event or log growth), if seen since this process looked. */
  readonly lastActivityAt: number | null;
  readonly graceMs: number;
  /**
   * True when the job lives but its monitor is gone (killed): its exit code can no longer be
   * recorded, and the run will end `orphaned` once the job is gone.
   */
  readonly monitorLost: boolean;
  /** What the job reported (or its log bars showed); null when nothing yet. */
  readonly progress: ProgressSummary | null;
  readonly abort: {
    readonly requestedAt: number;
    readonly graceMs: number;
    readonly forced: boolean;
    /** When the group gets SIGKILL if still alive (null once forced). */
    readonly killAt: number | null;
  } | null;
}

/** A workspace's status: its state, the active run, what recovery did, the last error. */
export interface StatusView {
  readonly state: RunState;
  readonly run: RunView | null;
  readonly recovered: readonly RecoveryNote[];
  readonly error: ErrorInfo | null;
}

/** A snapshot of the lifecycle machine (XState), as `Session.snapshot()` and `Workspace.view` take it. */
export type LifecycleSnapshot = SnapshotFrom<typeof lifecycleMachine>;

/** Most characters of a run's argv a view carries (a 1.9 MB argv is the config's, not the view's). */
export const argvCharsMax = 2_000;

/** `argv` cut to `argvCharsMax` characters in all, with a marker saying how much was left out. */
export function cutArgv(argv: readonly string[]): { argv: string[]; chars: number; cut: boolean } {
  const chars = argv.reduce((sum, arg) => sum + arg.length, 0);
  if (chars <= argvCharsMax) return { argv: [...argv], chars, cut: false };
  const out: string[] = [];
  let room = argvCharsMax;
  for (const arg of argv) {
    if (arg.length <= room) {
      out.push(arg);
      room -= arg.length;
      continue;
    }
    out.push(`${arg.slice(0, room)}…[${chars - argvCharsMax} more characters]`);
    break;
  }
  return { argv: out, chars, cut: true };
}

/** The user-facing state of a snapshot. */
export function runStateOf(snap: LifecycleSnapshot): RunState {
  if (snap.matches('recovering')) return 'recovering';
  if (snap.matches('idle')) return 'idle';
  if (snap.matches('starting')) return 'starting';
  if (snap.matches({ live: { running: 'stalled' } })) return 'stalled';
  if (snap.matches({ live: 'running' })) return 'running';
  if (snap.matches({ live: 'aborting' })) return 'aborting';
  if (snap.matches({ live: 'suspending' })) return 'suspending';
  if (snap.matches({ live: 'paused' })) return 'paused';
  if (snap.matches('halted')) return 'halted';
  return 'finalizing';
}

/** The status view of a snapshot, seen at `now`; `dirOf` gives a run's directory, `progressOf` its progress. */
export function statusViewOf(
  snap: LifecycleSnapshot,
  now: number,
  dirOf: (id: string) => string,
  progressOf: (id: string) => ProgressSummary | null = () => null,
  monitorLostOf: (job: JobHandle) => boolean = () => false,
): StatusView {
  const c = snap.context;
  const state = runStateOf(snap);
  const run = c.run;
  const job = c.handle ?? c.lock?.job ?? null;
  const pid = c.handle?.pid ?? c.lock?.job?.pid;
  const startedAt = c.startedAt ?? c.lock?.startedAt ?? null;
  return {
    state,
    recovered: c.recovered,
    error: c.error,
    run:
      run === null || state === 'idle'
        ? null
        : {
            id: run.runId,
            name: run.name,
            dir: dirOf(run.runId),
            ...argvFields(run.argv),
            pid: typeof pid === 'number' ? pid : null,
            startedAt,
            elapsedMs: startedAt === null ? null : Math.max(0, now - startedAt),
            lastActivityAt: c.lastActivityAt,
            graceMs: run.graceMs,
            monitorLost: job === null ? false : monitorLostOf(job),
            progress: progressOf(run.runId),
            abort:
              c.abort === null
                ? null
                : {
                    requestedAt: c.abort.requestedAt,
                    graceMs: c.abort.graceMs,
                    forced: c.abort.forced,
                    // The grace counts from the interrupt's delivery (or from when it was taken over).
                    killAt: c.abort.forced ? null : c.abort.graceFrom + c.abort.graceMs,
                  },
          },
  };
}

/** The view's argv fields. */
function argvFields(argv: readonly string[]): Pick<RunView, 'argv' | 'argvChars' | 'argvCut'> {
  const shown = cutArgv(argv);
  return { argv: shown.argv, argvChars: shown.chars, argvCut: shown.cut };
}
