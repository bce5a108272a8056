// Following a run from a library: its status, progress and new log text as an async iterator
// (or an event emitter on top of it) until the run ends and its history record is written.
import { EventEmitter } from 'node:events';
import { statSync } from 'node:fs';
import { RunwardenError } from './errors.ts';
import type { HistoryRecord } from './history.ts';
import { RunFollower } from './progress.ts';
import { copyRunLog } from './run-log.ts';
import type { StatusView } from './status-view.ts';
import type { Workspace } from './workspace.ts';

/** A log of a run. */
export type LogStream = 'stdout' | 'stderr';

/** One thing that happened to a followed run. The last update of a run is always `ended`. */
export type RunUpdate =
  | { readonly kind: 'status'; readonly view: StatusView }
  | { readonly kind: 'log'; readonly stream: LogStream; readonly text: string }
  | { readonly kind: 'ended'; readonly record: HistoryRecord };

/** How to follow a run. */
export interface FollowOptions {
  /** Stop following when this aborts (the run keeps running). */
  readonly signal?: AbortSignal;
  /** How often the run's state, progress and logs are looked at (ms, default 250). */
  readonly intervalMs?: number;
  /** Which logs to follow from their start (default both; [] for none). */
  readonly logs?: readonly LogStream[];
  /** Most log bytes read per stream per look (default 1 MiB): a fast writer cannot stall the loop. */
  readonly logBytesPerLookMax?: number;
}

/** What changes what a follower shows (elapsed time alone does not). */
function shownPart(view: StatusView): string {
  return JSON.stringify([
    view.state,
    view.run?.id,
    view.run?.pid,
    view.run?.progress,
    view.run?.abort,
    view.error,
  ]);
}

/** A file's size, 0 while it does not exist. */
function _sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Wait `ms`, or less when `signal` aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Follow run `runArg` (an id or unique prefix; default the active run, else the latest ended
 * one). Yields a `status` update whenever state or progress change, `log` updates with the text
 * each log grew by (from its start), and finally `ended` with the history record — at once when
 * the run had already ended. Stops early, without an `ended`, when `options.signal` aborts.
 */
export async function* followRun(
  ws: Workspace,
  runArg?: string,
  options: FollowOptions = {},
): AsyncGenerator<RunUpdate, void, undefined> {
  const intervalMs = options.intervalMs ?? 250;
  const bytesMax = options.logBytesPerLookMax ?? 1024 * 1024;
  // Issue 12: the actor of the run's slot (slot 0 unless the run holds another).
  const session = ws.openSession(ws.slotOfRun(runArg));
  try {
    const settled = await session.settled(30_000);
    const active = settled.hasTag('live') ? (settled.context.run?.runId ?? null) : null;
    const runId =
      runArg === undefined ? (active ?? ws.resolveRun(undefined, 'latest')) : ws.resolveRun(runArg, 'latest');
    if (runId !== active) {
      const record = ws.history(runId);
      if (record === null)
        throw new RunwardenError('RW_NOT_FOUND', `run ${runId} is neither active nor ended`);
      yield { kind: 'ended', record };
      return;
    }
    const follower = new RunFollower(ws.layout.runDir(runId));
    const streams = options.logs ?? ['stdout', 'stderr'];
    const offsets = new Map<LogStream, number>(streams.map((s) => [s, 0]));
    let shown = '';
    const ended = () => session.snapshot().context.run?.runId !== runId;
    const stopped = () => options.signal?.aborted === true;
    for (;;) {
      const over = ended();
      const view = ws.view(session.snapshot(), follower);
      if (shownPart(view) !== shown && !over) {
        shown = shownPart(view);
        yield { kind: 'status', view };
      }
      for (const stream of streams) {
        const path = ws.layout.runFile(runId, stream);
        const from = offsets.get(stream) ?? 0;
        const chunks: Buffer[] = [];
        const to = copyRunLog(ws.layout.root, path, from, (chunk) => chunks.push(chunk), bytesMax);
        if (to <= from) continue;
        offsets.set(stream, to);
        yield { kind: 'log', stream, text: Buffer.concat(chunks).toString('utf8') };
      }
      if (stopped()) return;
      if (over) break;
      await pause(intervalMs, options.signal);
      if (stopped()) return;
    }
    yield { kind: 'ended', record: await ws.awaitEnd(session, runId) };
  } finally {
    session.stop();
  }
}

/** The events a `RunWatcher` emits (the `RunUpdate` kinds, and `error`). */
export interface RunWatcherEvents {
  status: [view: StatusView];
  log: [stream: LogStream, text: string];
  ended: [record: HistoryRecord];
  error: [error: RunwardenError];
}

/**
 * `followRun` as an event emitter: `status`, `log`, `ended` (the last event), or `error` (a
 * RunwardenError). `stop()` ends the following early and leaves the run running.
 */
export class RunWatcher extends EventEmitter<RunWatcherEvents> {
  readonly #controller = new AbortController();
  /** Settles when the following is over (after `ended`, `error` or `stop()`). */
  readonly done: Promise<void>;

  constructor(ws: Workspace, runArg?: string, options: Omit<FollowOptions, 'signal'> = {}) {
    super();
    this.done = this.#pump(followRun(ws, runArg, { ...options, signal: this.#controller.signal }));
  }

  async #pump(updates: AsyncGenerator<RunUpdate>): Promise<void> {
    // Let the caller attach listeners before the first event.
    await Promise.resolve();
    try {
      for await (const update of updates) {
        if (update.kind === 'status') this.emit('status', update.view);
        else if (update.kind === 'log') this.emit('log', update.stream, update.text);
        else this.emit('ended', update.record);
      }
    } catch (error) {
      const wrapped =
        error instanceof RunwardenError
          ? error
          : new RunwardenError('RW_INTERNAL', `following the run failed: ${String(error)}`, { cause: error });
      if (this.listenerCount('error') > 0) this.emit('error', wrapped);
    }
  }

  /** Stop following; the run keeps running. */
  stop(): void {
    this.#controller.abort();
  }
}
