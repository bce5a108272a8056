import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RecoveryNote, RunConfig } from '../../machine/types.ts';
import {
  getHistory,
  type HistoryQuery,
  type HistoryRecord,
  type HistorySummary,
  listHistory,
} from '../../runtime/local/history-store.ts';
import { type Layout, layoutOf } from '../../runtime/local/layout.ts';
import { monitorLost } from '../../runtime/local/monitor-liveness.ts';
import { describeStuckJob } from '../../runtime/local/stuck-job.ts';
import { summaryOf } from '../../runtime/progress/progress-summary.ts';
import { progressOfRunDir, type RunFollower } from '../../runtime/progress/run-follower.ts';
import { RunwardenError } from './errors.ts';
import { type FollowOptions, followRun, type LogStream, type RunUpdate, RunWatcher } from './follow.ts';
import { type JournalEntry, journalPath, readJournal } from './journal.ts';
import { beginCardCapture } from './run-card.ts';
import { runConfigOf } from './run-config.ts';
import { tailLines } from './run-log.ts';
import { resolveRun } from './run-resolver.ts';
import { Session, type SessionOptions, stuckError, throwIfStuck } from './session.ts';
import { type LifecycleSnapshot, type StatusView, statusViewOf } from './status-view.ts';
import { lastRedraw } from './terminal-text.ts';
import type { AbortOptions, StartedRun, StartOptions, WorkspaceOptions } from './workspace-options.ts';

export type { AbortOptions, StartedRun, StartOptions, WorkspaceOptions } from './workspace-options.ts';

/** How often a run's end waits for another process's history record (with back-off). */
const recordLooksMax = 15;

/** A workspace directory of runs (default `./runs`). Cheap to create; holds no resources. */
export class Workspace {
  readonly dir: string;
  readonly layout: Layout;
  private readonly options: WorkspaceOptions;

  constructor(dir: string, options: WorkspaceOptions = {}) {
    this.dir = resolve(dir);
    this.layout = layoutOf(this.dir);
    this.options = options;
  }

  private get timeoutMs(): number {
    return this.options.operationTimeoutMs ?? 30_000;
  }

  /** Open an actor on this workspace: for callers that follow a run (watch, serve). */
  openSession(): Session {
    const options: SessionOptions = {
      workspace: this.dir,
      ...(this.options.timing ? { timing: this.options.timing } : {}),
      ...(this.options.pollMs ? { pollMs: this.options.pollMs } : {}),
      ...(this.options.inspectUrl ? { inspectUrl: this.options.inspectUrl } : {}),
    };
    return Session.open(options);
  }

  /** Run `use` with a settled session, stopping it afterwards. */
  private async withSession<T>(
    use: (session: Session, settled: LifecycleSnapshot) => Promise<T>,
    options: { allowHalted?: boolean } = {},
  ): Promise<T> {
    const session = this.openSession();
    try {
      const settled = await session.settled(this.timeoutMs);
      // A workspace recovery refused to touch (another user's process, a stuck start) blocks
      // every command with that reason; only status reports it as a state.
      const error = settled.context.error;
      if (settled.matches('halted') && options.allowHalted !== true && error !== null)
        throw RunwardenError.of(error);
      return await use(session, settled);
    } finally {
      session.stop();
    }
  }

  /**
   * The status view of a snapshot now. Progress comes from `follower` when the caller keeps one
   * (watch, serve: incremental), is left out with 'skip', else is read from the run directory.
   */
  view(snap: LifecycleSnapshot, follower?: RunFollower | 'skip'): StatusView {
    const progressOf = (id: string) =>
      follower === 'skip'
        ? null
        : summaryOf(follower === undefined ? progressOfRunDir(resolve(this.dir, id)) : follower.poll());
    const live = snap.hasTag('live');
    return statusViewOf(
      snap,
      Date.now(),
      (id) => resolve(this.dir, id),
      progressOf,
      (job) => (live ? monitorLost(job) : false),
    );
  }

  /** Recover what needs recovering (orphans, stale locks, unwatched exits), then report. */
  status(): Promise<StatusView> {
    return this.withSession(async (_session, settled) => this.view(settled), { allowHalted: true });
  }

  /**
   * Recover what needs recovering and return the notes of what was done; every reading command
   * calls it first, so a run that ended while nobody watched has its history record.
   */
  async recover(): Promise<readonly RecoveryNote[]> {
    return (await this.status()).recovered;
  }

  /** Start a run; resolves once the job is confirmed running. RW_CONFLICT if a run is active. */
  start(options: StartOptions): Promise<StartedRun> {
    const config = this.configOf(options);
    // Issue 17: the run card is captured beside the start and written once the run is live.
    const card = options.card === false ? null : beginCardCapture(this.layout, config);
    return this.startConfigured(config).then(
      (started) => {
        card?.keep();
        return started;
      },
      (error: unknown) => {
        card?.drop();
        throw error;
      },
    );
  }

  /** The start itself, for `start` (which adds the run card). */
  private startConfigured(config: RunConfig): Promise<StartedRun> {
    return this.withSession(async (session, settled) => {
      if (!settled.matches('idle')) {
        const active = settled.context.run?.runId ?? 'another run';
        throw new RunwardenError('RW_CONFLICT', `run ${active} is already active`);
      }
      let rejected: RunwardenError | null = null;
      const listener = session.actor.on('command.rejected', (e) => {
        rejected = RunwardenError.of(e.error);
      });
      session.actor.send({ type: 'run.start', config, at: Date.now() });
      // A failed start stuck on recording its end (a full disk) ends the wait at once, with both errors.
      const snap = await session.waitFor(
        (s) =>
          rejected !== null ||
          s.matches('live') ||
          s.matches('halted') ||
          stuckError(s) !== null ||
          (s.matches('idle') && s.context.lastEnded !== null),
        `run ${config.runId} to start`,
        this.timeoutMs,
      );
      listener.unsubscribe();
      if (rejected !== null) throw rejected;
      if (snap.matches('live')) {
        const pid = snap.context.handle?.pid;
        return {
          id: config.runId,
          dir: resolve(this.dir, config.runId),
          pid: typeof pid === 'number' ? pid : -1,
          recovered: settled.context.recovered,
        };
      }
      throw startFailureOf(config.runId, snap);
    });
  }

  /** Abort the active run (idempotent: aborting an aborting run only waits). Returns its record when waited. */
  abort(options: AbortOptions = {}): Promise<HistoryRecord | null> {
    return this.withSession(async (session, settled) => {
      if (!settled.matches('live')) {
        throw new RunwardenError('RW_NO_ACTIVE_RUN', `no run is active in ${this.dir}`);
      }
      const runId = settled.context.run?.runId ?? '';
      const at = Date.now();
      if (options.force === true) session.actor.send({ type: 'run.force', at });
      else
        session.actor.send({
          type: 'run.abort',
          at,
          ...(options.graceMs === undefined ? {} : { graceMs: options.graceMs }),
        });
      if (options.wait === false) {
        await session.waitFor(abortUnderWay, `the abort of ${runId} to be sent`, this.timeoutMs);
        return null;
      }
      return this.awaitEnd(session, runId);
    });
  }

  /**
   * Wait until the run `runId` ended and return its history record. Unbounded in time (a run
   * ends when its job does), but the record is awaited only briefly once the run is gone.
   */
  async awaitEnd(session: Session, runId: string): Promise<HistoryRecord> {
    const ended = (s: LifecycleSnapshot) =>
      s.matches('idle') ||
      s.matches('halted') ||
      (s.hasTag('live') && s.context.run?.runId !== runId) ||
      stuckError(s) !== null ||
      s.matches({ live: { aborting: 'unkillable' } });
    // Bounded by the run itself, and by the abort's grace and kill timeout once aborting: a job
    // that outlives SIGKILL (or whose monitor is stopped) ends the wait with RW_UNKILLABLE and why.
    const snap = await session.waitFor(ended, `run ${runId} to end`, 2_147_483_647);
    throwIfUnkillable(snap);
    throwIfStuck(snap);
    // Another process may have won the claim and be writing the record right now: look again
    // with back-off (10 ms doubling to 500 ms), about 5 s in all.
    for (let attempt = 0; attempt < recordLooksMax; attempt++) {
      const record = getHistory(this.layout, runId);
      if (record !== null) return record;
      await new Promise((r) => setTimeout(r, Math.min(500, 10 * 2 ** attempt)));
    }
    throw new RunwardenError(
      'RW_NOT_FOUND',
      `run ${runId} ended but its history record did not appear in ${this.layout.root}`,
    );
  }

  /**
   * Ended runs, newest recorded first, at most `query.limit` of the wanted outcomes (recovers the
   * workspace first, so unwatched ends are included).
   */
  async list(query: HistoryQuery = {}): Promise<HistorySummary[]> {
    await this.status();
    return listHistory(this.layout, query);
  }

  /** One ended run's record, or null. */
  history(runId: string): HistoryRecord | null {
    return getHistory(this.layout, runId);
  }

  /**
   * The run a user means: an exact id or a unique prefix of one; without `arg`, the active run,
   * or for 'latest' the newest ended run if none is active. RW_USAGE when invalid or ambiguous,
   * RW_NOT_FOUND when nothing matches.
   */
  resolveRun(arg: string | undefined, fallback: 'active' | 'latest'): string {
    return resolveRun(this.layout, arg, fallback);
  }

  /** The immutable config of a new run (see run-config.ts). */
  configOf(options: StartOptions): RunConfig {
    return runConfigOf(options);
  }

  /**
   * Follow a run (default the active one) as an async iterator of status, log and, last, ended
   * updates: see `followRun`. Breaking out of the loop or `options.signal` stops following only.
   */
  follow(runArg?: string, options: FollowOptions = {}): AsyncGenerator<RunUpdate, void, undefined> {
    return followRun(this, runArg, options);
  }

  /** Follow a run as an event emitter (`status`, `log`, `ended`, `error`): see `RunWatcher`. */
  watch(runArg?: string, options: Omit<FollowOptions, 'signal'> = {}): RunWatcher {
    return new RunWatcher(this, runArg, options);
  }

  /** The history record of an ended run (id or unique prefix; default the latest). RW_NOT_FOUND while it runs. */
  show(runArg?: string): HistoryRecord {
    const runId = this.resolveRun(runArg, 'latest');
    const record = this.history(runId);
    if (record === null) throw new RunwardenError('RW_NOT_FOUND', `run ${runId} has not ended yet`);
    return record;
  }

  /**
   * A run's lifecycle journal: every transition of any process's machine for it, in order (a
   * process whose recovery only looked, idle or re-attaching the same live run, wrote none).
   */
  inspect(runArg?: string): JournalEntry[] {
    const runId = this.resolveRun(runArg, 'latest');
    const entries = readJournal(journalPath(this.layout, runId));
    if (entries.length === 0)
      throw new RunwardenError('RW_NOT_FOUND', `run ${runId} has no lifecycle journal`);
    return entries;
  }

  /**
   * The last `linesMax` lines of a run's log (default stdout, 100 lines). Once retention deleted
   * the run's directory, stderr comes from its history record and stdout is empty.
   */
  logTail(runArg?: string, options: { stream?: LogStream; linesMax?: number } = {}): string[] {
    const runId = this.resolveRun(runArg, 'latest');
    const stream = options.stream ?? 'stdout';
    const linesMax = options.linesMax ?? 100;
    if (existsSync(this.layout.runDir(runId)))
      return tailLines(this.layout.runFile(runId, stream), linesMax, this.layout.root).map(lastRedraw);
    const record = this.history(runId);
    return stream === 'stderr' && record !== null ? record.stderrTail.slice(-linesMax) : [];
  }
}

/**
 * Why a start did not confirm its run: the error it ended with (a failed spawn, a timeout), and
 * the error recording that end is stuck on, if any (the same full disk, most often).
 */
function startFailureOf(runId: string, snap: LifecycleSnapshot): RunwardenError {
  const ended = snap.context.lastEnded?.error ?? snap.context.endError;
  const stuck = snap.matches('idle') ? null : snap.context.error;
  if (ended !== null && stuck !== null && stuck.message !== ended.message) {
    return new RunwardenError(
      ended.code,
      `run ${runId} did not start: ${ended.message}; recording that is stuck too: ${stuck.message}`,
    );
  }
  const error = ended ?? stuck;
  return error === null
    ? new RunwardenError('RW_START_FAILED', `run ${runId} did not start`)
    : RunwardenError.of(error);
}

/** A run whose job survived SIGKILL: RW_UNKILLABLE, saying what keeps it and what to do. */
function throwIfUnkillable(snap: LifecycleSnapshot): void {
  if (!snap.matches({ live: { aborting: 'unkillable' } })) return;
  const runId = snap.context.run?.runId ?? '?';
  const job = snap.context.handle;
  const why = job === null ? 'its job did not end after SIGKILL' : describeStuckJob(job);
  throw new RunwardenError(
    'RW_UNKILLABLE',
    `run ${runId} survived SIGKILL: ${why}; its lock is kept until it ends (runwarden status shows it)`,
  );
}

/** The abort has been recorded and signalled (or the run already ended). */
function abortUnderWay(s: LifecycleSnapshot): boolean {
  if (!s.hasTag('live')) return true;
  if (s.matches({ live: { aborting: 'forced' } }) || s.matches({ live: { aborting: 'unkillable' } }))
    return true;
  return s.matches({ live: 'aborting' }) && s.children.interruptJob?.getSnapshot().status === 'done';
}

/** Open the workspace at `dir` (default `RUNWARDEN_WORKSPACE` or `./runs`); `RUNWARDEN_INSPECT` forwards inspection. */
export function openWorkspace(dir?: string, options: WorkspaceOptions = {}): Workspace {
  const inspectUrl = options.inspectUrl ?? process.env.RUNWARDEN_INSPECT;
  return new Workspace(dir ?? process.env.RUNWARDEN_WORKSPACE ?? 'runs', {
    ...options,
    ...(inspectUrl ? { inspectUrl } : {}),
  });
}

export { defaultGraceMs, defaultRetention } from './run-config.ts';
