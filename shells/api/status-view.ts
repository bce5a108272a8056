// What a user sees of a workspace: the machine's snapshot turned into plain data (no decisions).
import type { SnapshotFrom } from 'xstate';
import type { lifecycleMachine } from '../../machine/lifecycle.ts';
import type { ErrorInfo, RecoveryNote } from '../../machine/types.ts';
import type { ProgressSummary } from '../../runtime/progress/progress-summary.ts';

/** The states a user can see; sub-states of the machine fold into these. */
export type RunState =
  | 'recovering'
  | 'idle'
  | 'starting'
  | 'running'
  | 'stalled'
  | 'aborting'
  | 'finalizing'
  | 'halted';

/** The active run as a user sees it. */
export interface RunView {
  readonly id: string;
  readonly name: string;
  readonly dir: string;
  readonly argv: readonly string[];
  /** The job's pid; null before it was spawned. */
  readonly pid: number | null;
  readonly startedAt: number | null;
  readonly elapsedMs: number | null;
  /** The last sign of life (an event or log growth), if seen since this process looked. */
  readonly lastActivityAt: number | null;
  readonly graceMs: number;
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

/** The user-facing state of a snapshot. */
export function runStateOf(snap: LifecycleSnapshot): RunState {
  if (snap.matches('recovering')) return 'recovering';
  if (snap.matches('idle')) return 'idle';
  if (snap.matches('starting')) return 'starting';
  if (snap.matches({ live: { running: 'stalled' } })) return 'stalled';
  if (snap.matches({ live: 'running' })) return 'running';
  if (snap.matches({ live: 'aborting' })) return 'aborting';
  if (snap.matches('halted')) return 'halted';
  return 'finalizing';
}

/** The status view of a snapshot, seen at `now`; `dirOf` gives a run's directory, `progressOf` its progress. */
export function statusViewOf(
  snap: LifecycleSnapshot,
  now: number,
  dirOf: (id: string) => string,
  progressOf: (id: string) => ProgressSummary | null = () => null,
): StatusView {
  const c = snap.context;
  const state = runStateOf(snap);
  const run = c.run;
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
            argv: run.argv,
            pid: typeof pid === 'number' ? pid : null,
            startedAt,
            elapsedMs: startedAt === null ? null : Math.max(0, now - startedAt),
            lastActivityAt: c.lastActivityAt,
            graceMs: run.graceMs,
            progress: progressOf(run.runId),
            abort:
              c.abort === null
                ? null
                : {
                    requestedAt: c.abort.requestedAt,
                    graceMs: c.abort.graceMs,
                    forced: c.abort.forced,
                    killAt: c.abort.forced ? null : c.abort.requestedAt + c.abort.graceMs,
                  },
          },
  };
}
