// The server's one long-lived view of the workspace: a Session (actor) whose snapshots become
// numbered events, plus the live run's progress and logs. It decides nothing about the lifecycle.
import type { HistoryRecord } from '../api/history.ts';
import { statePath } from '../api/journal.ts';
import { historyRecordOf } from '../api/run-files.ts';
import type { Session } from '../api/session.ts';
import type { LifecycleSnapshot, StatusView } from '../api/status-view.ts';
import type { Workspace } from '../api/workspace.ts';
import type { EventLog } from './event-log.ts';
import { endedNotice, recoveryNotice, stalledNotice } from './notices.ts';
import type { ProgressView } from './progress-view.ts';
import { type LogTails, RunWatch } from './run-watch.ts';

/** The last thing seen of a run that ended: what the dashboard shows frozen. */
export interface FrozenView {
  readonly record: HistoryRecord;
  readonly progress: ProgressView | null;
  readonly logs: LogTails | null;
}

/** Everything a client needs to draw the page at once, with the sequence number it is valid at. */
export interface LiveSnapshot {
  readonly epoch: string;
  readonly seq: number;
  readonly serverNow: number;
  readonly status: StatusView;
  /** The machine's full state as a dotted path (`live.running.healthy`), for the state view. */
  readonly machineState: string;
  readonly progress: { readonly runId: string; readonly view: ProgressView } | null;
  readonly logs: { readonly runId: string; readonly tails: LogTails } | null;
  readonly lastEnded: FrozenView | null;
}

/** Frozen views kept in memory; runs whose record is not found after this many looks are dropped. */
const frozenMax = 32;
const endedLooksMax = 200;

/** What identifies a status change worth telling clients (not the clock, not each log line). */
function signatureOf(view: StatusView, machineState: string): string {
  const { run } = view;
  return JSON.stringify([
    machineState,
    view.state,
    run?.id,
    run?.pid,
    run?.startedAt,
    run?.abort,
    view.error,
    view.recovered.length,
  ]);
}

/** Holds the server's session and turns what it sees into events on `log`. */
export class LiveState {
  readonly #ws: Workspace;
  readonly #log: EventLog;
  readonly session: Session;
  readonly #timer: NodeJS.Timeout;
  readonly #frozen = new Map<string, FrozenView>();
  readonly #endedLooks = new Map<string, number>();
  readonly #noticed = new Set<string>();
  #watch: RunWatch | null = null;
  #signature = '';
  #status: StatusView;
  #lastEnded: FrozenView | null = null;
  #unsubscribe: () => void;

  constructor(ws: Workspace, log: EventLog, pollMs: number) {
    this.#ws = ws;
    this.#log = log;
    this.session = ws.openSession();
    this.#status = ws.view(this.session.snapshot(), 'skip');
    const sub = this.session.actor.subscribe({ next: (snap) => this.#onSnapshot(snap), error: () => {} });
    this.#unsubscribe = () => sub.unsubscribe();
    this.#onSnapshot(this.session.snapshot());
    this.#timer = setInterval(() => this.#tick(), pollMs);
    this.#timer.unref();
  }

  /** The current status view (elapsed times as of now). */
  status(): StatusView {
    return this.#view(this.session.snapshot());
  }

  /** A status view whose progress comes from the run's watch (never a re-read of its files). */
  #view(snap: LifecycleSnapshot): StatusView {
    const watch = this.#watch;
    return this.#ws.view(
      snap,
      watch !== null && watch.runId === snap.context.run?.runId ? watch.follower : 'skip',
    );
  }

  /** The full picture and the sequence number it is valid at. */
  snapshot(): LiveSnapshot {
    const watch = this.#watch;
    return {
      epoch: this.#log.epoch,
      seq: this.#log.seq,
      serverNow: Date.now(),
      status: this.status(),
      machineState: statePath(this.session.snapshot().value),
      progress: watch?.progress ? { runId: watch.runId, view: watch.progress } : null,
      logs: watch ? { runId: watch.runId, tails: watch.logs } : null,
      lastEnded: this.#lastEnded,
    };
  }

  /** The frozen view of an ended run this server saw end, if still kept. */
  frozen(runId: string): FrozenView | null {
    return this.#frozen.get(runId) ?? null;
  }

  /** The live watch of `runId` when it is the active run. */
  watchOf(runId: string): RunWatch | null {
    return this.#watch?.runId === runId ? this.#watch : null;
  }

  #onSnapshot(snap: LifecycleSnapshot): void {
    const view = this.#view(snap);
    for (const note of view.recovered) this.#noticeOnce(`r:${JSON.stringify(note)}`, recoveryNotice(note));
    const machineState = statePath(snap.value);
    const signature = signatureOf(view, machineState);
    if (signature === this.#signature) return;
    const before = this.#status;
    this.#signature = signature;
    this.#status = view;
    const endedId = before.run?.id;
    if (endedId !== undefined && endedId !== view.run?.id) this.#endedLooks.set(endedId, 0);
    if (view.state === 'stalled' && view.run !== null) {
      this.#noticeOnce(`s:${view.run.id}:${view.run.lastActivityAt}`, stalledNotice(view.run.id));
    }
    this.#log.publish('status', { serverNow: Date.now(), status: view, machineState });
    this.#followActive(view);
  }

  /** Start following the active run's directory (or stop when there is none). */
  #followActive(view: StatusView): void {
    const run = view.run;
    if (run === null || run.pid === null) return;
    if (this.#watch?.runId !== run.id) {
      this.#watch = new RunWatch(this.#ws.layout, run.id);
      this.#tick();
    }
  }

  #noticeOnce(key: string, notice: ReturnType<typeof endedNotice>): void {
    if (this.#noticed.has(key)) return;
    if (this.#noticed.size > 1_000) this.#noticed.clear();
    this.#noticed.add(key);
    this.#log.publish('notice', notice);
  }

  /** Periodic look: the active run's progress and logs, and records of runs that just ended. */
  #tick(): void {
    const watch = this.#watch;
    if (watch !== null) {
      const ended = this.#endedLooks.has(watch.runId);
      const look = watch.look(ended);
      if (look.progress !== null) this.#log.publish('progress', { runId: watch.runId, view: look.progress });
      if (look.logs !== null) this.#log.publish('logs', { runId: watch.runId, tails: look.logs });
    }
    for (const [runId, looks] of this.#endedLooks) {
      const record = historyRecordOf(this.#ws.layout, runId);
      if (record !== null) this.#publishEnded(record);
      else if (looks >= endedLooksMax) this.#endedLooks.delete(runId);
      else this.#endedLooks.set(runId, looks + 1);
    }
  }

  #publishEnded(record: HistoryRecord): void {
    const watch = this.#watch?.runId === record.runId ? this.#watch : null;
    const frozen: FrozenView = { record, progress: watch?.progress ?? null, logs: watch?.logs ?? null };
    this.#endedLooks.delete(record.runId);
    this.#frozen.set(record.runId, frozen);
    if (this.#frozen.size > frozenMax) this.#frozen.delete(this.#frozen.keys().next().value ?? '');
    if (watch !== null) this.#watch = null;
    this.#lastEnded = frozen;
    this.#log.publish('ended', frozen);
    this.#noticeOnce(`e:${record.runId}`, endedNotice(record));
  }

  /** Stop the actor and the timer. */
  close(): void {
    clearInterval(this.#timer);
    this.#unsubscribe();
    this.session.stop();
  }
}
