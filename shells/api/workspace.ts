import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Result } from '../../machine/ports.ts';
import type {
  EntryClaim,
  QueueEntry,
  QueueHold,
  QueueSnapshot,
  SlotSpec,
} from '../../machine/queue-types.ts';
import { fitOf, fitsWorkspace, inProgressOf, schedule } from '../../machine/schedule.ts';
import type { RecoveryNote, RunConfig } from '../../machine/types.ts';
import {
  getHistory,
  type HistoryQuery,
  type HistoryRecord,
  type HistorySummary,
  listHistory,
} from '../../runtime/local/history-store.ts';
import { activeRunId } from '../../runtime/local/inspect.ts';
import { probeJob } from '../../runtime/local/job-liveness.ts';
import { type Layout, layoutOf } from '../../runtime/local/layout.ts';
import { monitorLost } from '../../runtime/local/monitor-liveness.ts';
import {
  isBusy,
  occupancyOf,
  readQueueSnapshot,
  type SlotOccupancy,
  type StartAnswer,
} from '../../runtime/local/queue-ports.ts';
import { listQueue, readEntry } from '../../runtime/local/queue-store.ts';
import { readRunIdentity } from '../../runtime/local/run-records.ts';
import { describeStuckJob } from '../../runtime/local/stuck-job.ts';
import { readSlots, slotEnv, slotLayout, writeSlots } from '../../runtime/local/workspace-config.ts';
import { summaryOf } from '../../runtime/progress/progress-summary.ts';
import { progressOfRunDir, type RunFollower } from '../../runtime/progress/run-follower.ts';
import { RunwardenError } from './errors.ts';
import { type FollowOptions, followRun, type LogStream, type RunUpdate, RunWatcher } from './follow.ts';
import { type JournalEntry, journalPath, readJournal } from './journal.ts';
import {
  type DispatchReport,
  dispatch as dispatchQueue,
  endWaiting,
  type QueueView,
  queueHasWork,
  queueHold,
  queueMove,
  queuePause,
  queueRelease,
  queueResume,
  queueView,
  type SubmitOptions,
  type SubmittedRun,
  submit as submitRun,
} from './queue.ts';
import { beginCardCapture } from './run-card.ts';
import { runConfigOf } from './run-config.ts';
import { tailLines } from './run-log.ts';
import { resolveRun } from './run-resolver.ts';
import { Session, type SessionOptions, stuckError, throwIfStuck } from './session.ts';
import {
  type ConfigureSlotsOptions,
  type SlotView,
  slotChangeConflict,
  slotViewsOf,
  wantedSlots,
} from './slots.ts';
import { type LifecycleSnapshot, type RunView, type StatusView, statusViewOf } from './status-view.ts';
import { lastRedraw } from './terminal-text.ts';
import type { AbortOptions, StartedRun, StartOptions, WorkspaceOptions } from './workspace-options.ts';

export type { AbortOptions, StartedRun, StartOptions, WorkspaceOptions } from './workspace-options.ts';

/** How long a recovery waits for a re-attached run whose exit is already recorded to be finalised. */
const exitSettleMs = 10_000;

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

  /**
   * Open an actor on this workspace: for callers that follow a run (watch, serve). Its lock is
   * slot 0's unless `slot` names another (issue 12: one actor per slot).
   */
  openSession(slot?: SlotSpec, runtime: SessionOptions['runtime'] = {}): Session {
    const options: SessionOptions = {
      workspace: this.dir,
      ...(this.options.timing ? { timing: this.options.timing } : {}),
      ...(this.options.pollMs ? { pollMs: this.options.pollMs } : {}),
      ...(this.options.inspectUrl ? { inspectUrl: this.options.inspectUrl } : {}),
      runtime: {
        slotLayouts: (names) => this.slotLayoutsOf(names),
        ...(slot === undefined ? {} : { slot: { name: slot.name, index: slot.index } }),
        ...(this.kickArgv() === null ? {} : { kick: this.kickArgv() ?? [] }),
        ...runtime,
      },
    };
    return Session.open(options);
  }

  /** Run `use` with a settled session (slot 0's unless `slot`), stopping it afterwards. */
  private async withSession<T>(
    use: (session: Session, settled: LifecycleSnapshot) => Promise<T>,
    options: { allowHalted?: boolean; slot?: SlotSpec; runtime?: SessionOptions['runtime'] } = {},
  ): Promise<T> {
    const session = this.openSession(options.slot, options.runtime);
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

  /**
   * Recover what needs recovering (orphans, stale locks, unwatched exits) in every slot, start
   * what the queue can start, then report. The top-level fields describe the single active run
   * (the first when several are active); `slots`, `runs` and `queue` cover all (issue 12).
   */
  async status(): Promise<WorkspaceStatus> {
    const recovered = await this.recoverSlots({ allowHalted: true });
    if (!queueHasWork(this)) return this.statusOf(recovered);
    // Dispatch only when it has something to do (the scheduler's own decisions on what the disk
    // says now): a full workspace with 1,000 waiting runs is one look, not a second recovery.
    const look = readQueueSnapshot(this.layout, Date.now(), { writeBoot: false });
    if (look.ok && !dispatchWouldAct(look.value)) return this.statusOf(recovered, look.value);
    const report = await this.dispatch();
    const changed =
      report.started.length +
        report.startFailed.length +
        report.dependencyFailed.length +
        report.restored.length >
      0;
    return this.statusOf(changed ? await this.recoverSlots({ allowHalted: true }) : recovered);
  }

  /** The status view of recovered slots. */
  private statusOf(recovered: readonly SlotRecovery[], queued?: QueueSnapshot): WorkspaceStatus {
    const views = recovered.flatMap((r) =>
      r.snap === null ? [] : [{ slot: r.slot, view: this.view(r.snap) }],
    );
    const first = views.find((v) => v.view.run !== null) ?? views[0];
    if (first === undefined) throw new RunwardenError('RW_INTERNAL', `no slot of ${this.dir} was recovered`);
    const occupancy = occupancyOf(
      this.dir,
      recovered.map((r) => r.slot),
    );
    const runs = views.flatMap((v) => {
      const run = v.view.run;
      // A k-slot run shows once, from its first slot (the others' actors see the same run).
      if (run === null) return [];
      const lockOf = occupancy.find((o) => o.slot.name === v.slot.name);
      return lockOf !== undefined && this.firstSlotOf(run.id) !== v.slot.name ? [] : [run];
    });
    const uniqueRuns = runs.filter((r, i) => runs.findIndex((o) => o.id === r.id) === i);
    const listing = queued ?? listQueue(this.layout);
    return {
      ...first.view,
      recovered: views.flatMap((v) => v.view.recovered),
      slots: slotViewsOf(occupancy),
      runs: uniqueRuns,
      queue: {
        waiting: listing.entries.length,
        held: listing.entries.filter((e) => e.held).length,
        hold: listing.hold,
      },
    };
  }

  /** The first slot a run holds (its lock's config), by name; slot 0's name for a run without slots. */
  private firstSlotOf(runId: string): string | null {
    const runDirCopy = readRunIdentity(this.layout, runId);
    const first = runDirCopy?.config.slots?.[0];
    return first ?? this.slotSpecs()[0]?.name ?? null;
  }

  /** The slots of this workspace (one, `slot0`, unless configured). RW_CONFIG_INVALID if workspace.json is bad. */
  slotSpecs(): readonly SlotSpec[] {
    const read = readSlots(this.layout);
    if (!read.ok) throw RunwardenError.of(read.error);
    return read.value;
  }

  /**
   * The slot whose actor follows `runArg` (issue 12): the first slot of the active run it names
   * (default: the single active run; RW_AMBIGUOUS when several are), or undefined for slot 0
   * (an ended run, or a workspace without slots). Pass it to `openSession`.
   */
  slotOfRun(runArg?: string): SlotSpec | undefined {
    if (!existsSync(this.layout.workspaceConfig)) return undefined;
    let runId: string;
    try {
      runId = this.resolveRun(runArg, 'active');
    } catch (error) {
      if (error instanceof RunwardenError && error.code === 'RW_NOT_FOUND') return undefined;
      throw error;
    }
    const all = this.slotSpecs();
    const holding = occupancyOf(this.dir, all).find((o) => o.runIds.includes(runId));
    if (holding === undefined) return undefined;
    const first = this.firstSlotOf(runId);
    return all.find((s) => s.name === first) ?? holding.slot;
  }

  /** The workspace's slots (issue 12). */
  slots(): SlotSpec[] {
    return [...this.slotSpecs()];
  }

  /**
   * Set the slots: one per GPU nvidia-smi lists (`{ gpus: true, perGpu? }`) or `{ count }` plain
   * ones. RW_CONFLICT while a run holds a slot that would change or go away.
   */
  async configureSlots(options: ConfigureSlotsOptions): Promise<SlotSpec[]> {
    const next = await wantedSlots(options);
    const current = readSlots(this.layout);
    if (current.ok) {
      await this.recoverSlots();
      const conflict = slotChangeConflict(occupancyOf(this.dir, current.value), next);
      if (conflict !== null) throw new RunwardenError('RW_CONFLICT', conflict);
    } else {
      // workspace.json is unreadable (the way out is setting the slots again): refuse only while
      // some slot directory (or slot 0) still holds a lock or claim.
      const busy = lockedSlotDirs(this.layout);
      if (busy.length > 0)
        throw new RunwardenError(
          'RW_CONFLICT',
          `${current.error.message}; and ${busy.join(', ')} still hold a run: wait for it to end, then set the slots again`,
        );
    }
    const written = writeSlots(this.layout, next);
    if (!written.ok) throw RunwardenError.of(written.error);
    if (queueHasWork(this)) await this.dispatch();
    return next;
  }

  /** The layouts of the slots `names` (RW_CONFIG_INVALID / RW_NOT_FOUND as Results). */
  private slotLayoutsOf(names: readonly string[]): Result<readonly Layout[]> {
    const read = readSlots(this.layout);
    if (!read.ok) return read;
    const layouts: Layout[] = [];
    for (const name of names) {
      const slot = read.value.find((s) => s.name === name);
      if (slot === undefined)
        return {
          ok: false,
          error: {
            code: 'RW_NOT_FOUND',
            message: `slot ${name} is not configured in ${this.layout.workspaceConfig}`,
          },
        };
      layouts.push(slotLayout(this.dir, slot));
    }
    return { ok: true, value: layouts };
  }

  /** What the monitor runs after a job's exit (the dispatch kick); null when disabled. */
  kickArgv(): readonly string[] | null {
    const kick = this.options.kick;
    if (kick === false) return null;
    return kick ?? [process.execPath, cliBinPath, 'dispatch', '--workspace', this.dir];
  }

  /**
   * Recover every slot that needs it, one after another (slot 0 always, others when a lock or
   * claim is there): each slot's lifecycle actor settles, as today's single one does.
   */
  async recoverSlots(options: { allowHalted?: boolean } = {}): Promise<SlotRecovery[]> {
    const slots = this.slotSpecs();
    const occupancy = occupancyOf(this.dir, slots);
    const out: SlotRecovery[] = [];
    for (const o of occupancy) {
      if (o.slot.index !== 0 && !isBusy(o)) {
        out.push({ slot: o.slot, snap: null });
        continue;
      }
      const recover = () =>
        this.withSession(async (_s, settled) => settled, {
          slot: o.slot,
          allowHalted: options.allowHalted ?? true,
        });
      let snap = await recover();
      // A job whose exit is recorded while its monitor is still exiting is re-attached (alive while
      // the monitor lives). Look again, bounded, once the monitor is gone, so the slot a dispatcher
      // sees is free — by recovery's own decision (a queued start that never ran is requeued).
      const job = snap.hasTag('live') ? (snap.context.handle ?? snap.context.lock?.job ?? null) : null;
      const runId = snap.context.run?.runId;
      if (job !== null && runId !== undefined && existsSync(this.layout.runFile(runId, 'exit'))) {
        const deadline = Date.now() + exitSettleMs;
        while (probeJob(job).state === 'alive' && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 10));
        snap = await recover();
      }
      out.push({ slot: o.slot, snap });
    }
    return out;
  }

  /** Start a claimed queue entry on `slots` through the lifecycle actor of the first (issue 12). */
  async startQueued(claim: EntryClaim, slotNames: readonly string[]): Promise<Result<StartAnswer>> {
    const all = this.slotSpecs();
    const held = slotNames.map((n) => all.find((s) => s.name === n));
    const first = held[0];
    if (first === undefined || held.some((s) => s === undefined)) return { ok: true, value: 'conflict' };
    const slots = held as SlotSpec[];
    const config = withSlots(claim.entry.config, all, slots, claim.entry.needs.gpus, true);
    const runtime = claim.entry.baseEnv === undefined ? {} : { baseEnv: claim.entry.baseEnv };
    try {
      await withCard(beginCardCapture(this.layout, config), this.startOn(config, { slot: first, runtime }));
      return { ok: true, value: 'started' };
    } catch (error) {
      if (error instanceof RunwardenError && error.code === 'RW_CONFLICT')
        return { ok: true, value: 'conflict' };
      // A start that failed was recorded by the lifecycle (its history record): the entry is done.
      if (error instanceof RunwardenError && getHistory(this.layout, config.runId) !== null)
        return { ok: true, value: 'failed' };
      if (error instanceof RunwardenError)
        return { ok: false, error: { code: error.code, message: error.message } };
      throw error;
    }
  }

  /**
   * Submit a run (issue 12): it starts now if the queue lets it (first in order, its slots free),
   * else waits in the queue. Returns at once with its id and what happened.
   */
  submit(options: SubmitOptions): Promise<SubmittedRun> {
    return submitRun(this, options);
  }

  /** The queue: waiting runs in start order, with what each waits for, and the queue's hold. */
  queue(): QueueView {
    return queueView(this);
  }

  /** Pause the queue: nothing more starts until `queueResume`. */
  queuePause(): QueueHold {
    return queuePause(this);
  }

  /** Resume the queue after a pause or a reboot, and dispatch. */
  queueResume(): Promise<DispatchReport> {
    return queueResume(this);
  }

  /** Take a waiting run out of the queue: recorded `aborted` (reason removed-from-queue), no process. */
  queueRemove(runId: string): HistoryRecord {
    return endWaiting(this, runId, 'removed-from-queue');
  }

  /** Give a waiting run a new priority (then dispatch). */
  queueMove(runId: string, priority: number): Promise<QueueEntry> {
    return queueMove(this, runId, priority);
  }

  /** Release a held run (then dispatch). */
  queueRelease(runId: string): Promise<QueueEntry> {
    return queueRelease(this, runId);
  }

  /** Hold a waiting run until released. */
  queueHold(runId: string): QueueEntry {
    return queueHold(this, runId);
  }

  /** Whether the queue holds waiting or claimed entries (one directory listing; the kick's first look). */
  hasQueuedWork(): boolean {
    return queueHasWork(this);
  }

  /**
   * Recover every slot and start what the queue can start (what the monitor's kick runs, and
   * every recovering command): see `dispatch` in queue.ts.
   */
  dispatch(): Promise<DispatchReport> {
    return dispatchQueue(this);
  }

  /**
   * Recover what needs recovering and return the notes of what was done; every reading command
   * calls it first, so a run that ended while nobody watched has its history record.
   */
  async recover(): Promise<readonly RecoveryNote[]> {
    return (await this.status()).recovered;
  }

  /**
   * Start a run now; resolves once the job is confirmed running. RW_CONFLICT if not enough slots
   * are free (`gpus`: that many GPU slots on distinct GPUs; default one slot). Issue 12.
   */
  async start(options: StartOptions & { readonly gpus?: number }): Promise<StartedRun> {
    const all = this.slotSpecs();
    const gpus = options.gpus ?? 0;
    if (!Number.isSafeInteger(gpus) || gpus < 0)
      throw new RunwardenError('RW_USAGE', `--gpus must be a whole number of at least 0, got ${gpus}`);
    const needs = { gpus, after: [], afterOk: [] };
    if (
      !fitsWorkspace(
        needs,
        all.map((slot) => ({ slot, busy: false })),
      )
    ) {
      const have = new Set(all.flatMap((s) => (s.gpu === null ? [] : [s.gpu.uuid]))).size;
      throw new RunwardenError(
        'RW_USAGE',
        have === 0
          ? `--gpus ${gpus}: this workspace has no GPU slots; set them with runwarden slots --gpus`
          : `--gpus ${gpus}: this workspace has ${have} GPU${have === 1 ? '' : 's'}; ask for at most ${have}`,
      );
    }
    const config = this.configOf(options);
    // A workspace without slot configuration: today's start, on slot 0 (its actor recovers it).
    // Issue 17: the run card is captured beside the start and written once the run is live.
    const card = options.card === false ? null : beginCardCapture(this.layout, config);
    if (!existsSync(this.layout.workspaceConfig)) return withCard(card, this.startOn(config, {}));
    await this.recoverSlots();
    const occupancy = occupancyOf(this.dir, all);
    const fit = fitOf(
      needs,
      occupancy.map((o) => ({ slot: o.slot, busy: isBusy(o) })),
    );
    if (fit === null) {
      const busy = occupancy.filter(isBusy).map((o) => `${o.slot.name}: ${o.runIds[0] || '?'}`);
      throw new RunwardenError(
        'RW_CONFLICT',
        `not enough free slots for ${gpus === 0 ? 'a run' : `${gpus} GPU${gpus === 1 ? '' : 's'}`} (busy: ${busy.join(', ')}); use runwarden submit to queue it`,
      );
    }
    const held = fit.map((n) => all.find((s) => s.name === n)).filter((s): s is SlotSpec => s !== undefined);
    return withCard(
      card,
      this.startOn(withSlots(config, all, held, gpus, false), held[0] === undefined ? {} : { slot: held[0] }),
    );
  }

  /** Start `config` through the actor of `where.slot` (default slot 0). */
  private startOn(
    config: RunConfig,
    where: { slot?: SlotSpec; runtime?: SessionOptions['runtime'] },
  ): Promise<StartedRun> {
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
    }, where);
  }

  /**
   * Abort a run (idempotent: aborting an aborting run only waits). Returns its record when waited.
   * `runId`: that run; a queued one is removed and recorded `aborted` (aborted-in-queue) with no
   * process. Without it: the single active run; RW_AMBIGUOUS (exit 2) when several are active.
   */
  async abort(options: AbortOptions = {}): Promise<HistoryRecord | null> {
    const all = this.slotSpecs();
    let slot: SlotSpec | undefined;
    if (options.runId !== undefined) {
      const runId = this.resolveRun(options.runId, 'active');
      if (readEntry(this.layout, runId) !== null) {
        try {
          return endWaiting(this, runId, 'aborted-in-queue');
        } catch (error) {
          // It left the queue meanwhile (started): abort it as a running one.
          if (!(error instanceof RunwardenError) || !['RW_NOT_FOUND', 'RW_CONFLICT'].includes(error.code))
            throw error;
        }
      }
      await this.recoverSlots();
      const first = this.firstSlotOf(runId);
      const holding = holderOf(this.dir, all, runId);
      if (holding === undefined) {
        const ended = getHistory(this.layout, runId);
        if (ended !== null) return ended;
        throw new RunwardenError('RW_NO_ACTIVE_RUN', `run ${runId} is not active in ${this.dir}`);
      }
      slot = all.find((s) => s.name === first) ?? holding.slot;
    } else if (existsSync(this.layout.workspaceConfig)) {
      await this.recoverSlots();
      const active = activeRunsOf(occupancyOf(this.dir, all));
      if (active.length > 1)
        throw new RunwardenError(
          'RW_AMBIGUOUS',
          `several runs are active: ${active.join(', ')}; name the one to abort`,
        );
      const only = active[0];
      if (only !== undefined) slot = all.find((s) => s.name === this.firstSlotOf(only));
    }
    return this.withSession(
      async (session, settled) => {
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
      },
      slot === undefined ? {} : { slot },
    );
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

  /**
   * Runs in the states asked for (issue 12): active (holding slots), queued (in start order), and
   * ended (as `list`, newest first, at most `query.limit`). Recovers and dispatches first.
   */
  async runs(
    query: HistoryQuery & { readonly state?: ListedState | readonly ListedState[] } = {},
  ): Promise<ListedRun[]> {
    const states = new Set(
      query.state === undefined
        ? (['active', 'queued', 'ended'] as const)
        : typeof query.state === 'string'
          ? [query.state]
          : query.state,
    );
    const status = await this.status();
    const out: ListedRun[] = [];
    if (states.has('active'))
      for (const run of status.runs)
        out.push({
          state: 'active',
          id: run.id,
          name: run.name,
          startedAt: run.startedAt,
          slots: status.slots.filter((s) => s.runId === run.id).map((s) => s.name),
        });
    if (states.has('queued'))
      for (const entry of this.queue().entries)
        out.push({
          state: 'queued',
          id: entry.runId,
          name: entry.name,
          position: entry.position,
          submittedAt: entry.submittedAt,
          waitingFor: entry.waitingFor,
        });
    if (states.has('ended'))
      for (const summary of listHistory(this.layout, query)) out.push({ state: 'ended', ...summary });
    return out;
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

/** The CLI a monitor's kick runs (`node <root>/shells/cli/bin.js dispatch`): from source and from dist/cli alike. */
const cliBinPath = fileURLToPath(new URL('../../shells/cli/bin.js', import.meta.url));

/** One slot after recovery: its actor's settled snapshot, or null when nothing needed recovering. */
export interface SlotRecovery {
  readonly slot: SlotSpec;
  readonly snap: LifecycleSnapshot | null;
}

/** `status()` (issue 12): the single-run view plus every slot, every active run and the queue. */
export interface WorkspaceStatus extends StatusView {
  readonly slots: readonly SlotView[];
  /** Every active run (one per run, even on k slots), in slot order. */
  readonly runs: readonly RunView[];
  readonly queue: {
    readonly waiting: number;
    /** Waiting entries held by `--hold` / `queue hold`. */
    readonly held: number;
    readonly hold: QueueHold | null;
  };
}

/** The states `runs()` lists. */
export type ListedState = 'active' | 'queued' | 'ended';

/** A run as `runs()` lists it. */
export type ListedRun =
  | {
      readonly state: 'active';
      readonly id: string;
      readonly name: string;
      readonly startedAt: number | null;
      readonly slots: readonly string[];
    }
  | {
      readonly state: 'queued';
      readonly id: string;
      readonly name: string;
      readonly position: number;
      readonly submittedAt: number;
      readonly waitingFor: readonly string[];
    }
  | ({ readonly state: 'ended' } & HistorySummary);

/** Whether a dispatch would do anything on `snapshot`: hold for a reboot, account for a dead claim, or decide. */
function dispatchWouldAct(snapshot: QueueSnapshot): boolean {
  return (
    snapshot.rebooted ||
    snapshot.claimed.some((c) => c.claimer === 'gone') ||
    schedule(snapshot, inProgressOf(snapshot)).length > 0
  );
}

/** The lock directories (slot 0's root, `slots/<name>/`) holding a lock or claim, by path. */
function lockedSlotDirs(layout: Layout): string[] {
  const dirs = [layout.root];
  try {
    for (const name of readdirSync(join(layout.root, 'slots'))) dirs.push(join(layout.root, 'slots', name));
  } catch {
    // no slot directories
  }
  return dirs.filter((dir) => {
    try {
      return readdirSync(dir).some((n) => n === 'active.lock' || n.startsWith('active.lock.claimed-'));
    } catch {
      return false;
    }
  });
}

/** The ids of the runs holding slots, once each, in slot order. */
/**
 * The slot `runId` holds: by its lock or claim, or, behind an unreadable lock (an empty id in the
 * occupancy), by the identity in its run directory whose job may still be alive (F1, F11).
 */
function holderOf(root: string, all: readonly SlotSpec[], runId: string): SlotOccupancy | undefined {
  const occupancy = occupancyOf(root, all);
  return (
    occupancy.find((o) => o.runIds.includes(runId)) ??
    occupancy.find(
      (o) => o.runIds.includes('') && activeRunId(slotLayout(root, o.slot), Date.now()) === runId,
    )
  );
}

function activeRunsOf(occupancy: readonly { readonly runIds: readonly string[] }[]): string[] {
  return [...new Set(occupancy.flatMap((o) => o.runIds).filter((id) => id !== ''))];
}

/**
 * A run's config on `held` slots (issue 12): the slots named, their overlay merged over the
 * user's environment (slot GPU variables win: a job never sees another slot's GPU).
 */
function withSlots(
  config: RunConfig,
  all: readonly SlotSpec[],
  held: readonly SlotSpec[],
  gpus: number,
  fromQueue: boolean,
): RunConfig {
  return {
    ...config,
    env: { ...config.env, ...slotEnv(all, held, gpus) },
    slots: held.map((s) => s.name),
    ...(fromQueue ? { fromQueue: true } : {}),
  };
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

/** Keep the run card once `started` resolves; drop its capture (and its tools) when it fails. */
function withCard(
  card: { keep(): void; drop(): void } | null,
  started: Promise<StartedRun>,
): Promise<StartedRun> {
  return started.then(
    (run) => {
      card?.keep();
      return run;
    },
    (error: unknown) => {
      card?.drop();
      throw error;
    },
  );
}
