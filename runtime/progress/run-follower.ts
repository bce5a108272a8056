// Following one run directory: the job's events file and its logs, folded into a progress view.
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runFiles } from '../local/layout.ts';
import { resourcesFile } from '../local/resource-files.ts';
import { EventsSource } from './events-source.ts';
import type { ReadTime } from './log-events.ts';
import { LogSource } from './log-source.ts';
import { positiveInteger } from './positive-integer.ts';
import {
  type CheckpointLimits,
  loadCheckpoint,
  type RunPaths,
  saveCheckpoint,
} from './progress-checkpoint.ts';
import { ProgressTracker } from './progress-tracker.ts';
import type { ProgressState } from './run-view.ts';

/** Sizes and clock of a `RunFollower`. */
export interface RunFollowerOptions {
  /** Bytes read per file per `poll()` at most; default 8 MiB. A late reader catches up over polls. */
  readonly pollBytesMax?: number;
  /** Bytes per read call (one batch); default 64 KiB (larger batches only grow the heap). */
  readonly readBytesMax?: number;
  /** Longest events line; default 1 MiB. */
  readonly lineBytesMax?: number;
  /** Longest log segment parsed; default 16 KiB. */
  readonly segmentBytesMax?: number;
  /** The clock stamping parsed events and events without `t`; default `Date.now`. */
  readonly nowMs?: () => number;
  /**
   * The run's progress checkpoint (progress-checkpoint.ts): `'save'` (the default) starts from it
   * when it matches the files and replaces it after reading far (`checkpointEveryBytes` past it,
   * or `checkpointMinBytes` past it on catching up); `'load'` only starts from it; `false` reads
   * every file from its start and touches no checkpoint.
   */
  readonly checkpoint?: 'save' | 'load' | false;
  /** Default 1 MiB: a follower that read less past the checkpoint leaves it as it is. */
  readonly checkpointMinBytes?: number;
  /** Default 64 MiB: a long catch-up saves on the way, so a reader stopped midway keeps its work. */
  readonly checkpointEveryBytes?: number;
}

/** Options of one poll. */
export interface PollOptions {
  /** The job has ended: an unterminated last line of any file counts as complete. */
  readonly final?: boolean;
}

/** The most held at once while reading, to show that memory stayed bounded. */
export interface FollowerBuffers {
  readonly eventLineBytesPeak: number;
  readonly logSegmentBytesPeak: number;
}

/**
 * Follows a run directory: `events.ndjson` (explicit events) and `stderr.log`, `stdout.log` (tqdm
 * bars and metric lines, parsed). Each `poll()` reads what was appended, at most `pollBytesMax`
 * per file, and returns the view. Starting late reads from the start in bounded batches and gives
 * the same view as following from the start. Never throws for what it reads: bad lines, missing
 * or unreadable files and files that shrink become skip warnings with line numbers.
 */
export class RunFollower {
  readonly runDir: string;
  readonly pollBytesMax: number;
  readonly readBytesMax: number;
  readonly lineBytesMax: number;
  readonly #nowMs: () => number;
  readonly #tracker: ProgressTracker;
  readonly #events: EventsSource;
  readonly #logs: readonly [LogSource, LogSource];
  readonly #paths: RunPaths;
  readonly #limits: CheckpointLimits;
  readonly #checkpoint: 'save' | 'load' | false;
  readonly #checkpointMinBytes: number;
  readonly #checkpointEveryBytes: number;
  #savedAt: number;
  #resumedFrom: number;
  /** Issue 17: the monitor's resource samples (sys/cpu, sys/rss, …), metric events like the job's. */
  readonly #resources: EventsSource;
  #caughtUp = false;

  /**
   * A follower of `runDir` that has read nothing yet; throws a RangeError for a bad size option.
   * A run directory lives directly in its workspace: the parent confines every read (a run
   * directory that is a link out of the workspace reads as refused, never followed).
   */
  constructor(runDir: string, opts: RunFollowerOptions = {}) {
    this.runDir = runDir;
    this.pollBytesMax = positiveInteger('RunFollower', 'pollBytesMax', opts.pollBytesMax ?? 8 * 1024 * 1024);
    const readBytesWanted = positiveInteger('RunFollower', 'readBytesMax', opts.readBytesMax ?? 64 * 1024);
    this.readBytesMax = Math.min(readBytesWanted, this.pollBytesMax);
    this.lineBytesMax = positiveInteger('RunFollower', 'lineBytesMax', opts.lineBytesMax ?? 1024 * 1024);
    this.#nowMs = opts.nowMs ?? Date.now;
    const { lineBytesMax, readBytesMax } = this;
    const root = dirname(runDir);
    const segmentBytesMax = opts.segmentBytesMax ?? 16 * 1024;
    this.#paths = {
      root,
      runDir,
      events: join(runDir, runFiles.events),
      stdout: join(runDir, runFiles.stdout),
      stderr: join(runDir, runFiles.stderr),
      resources: join(runDir, resourcesFile),
    };
    this.#limits = { lineBytesMax, segmentBytesMax };
    this.#checkpoint = opts.checkpoint ?? 'save';
    this.#checkpointMinBytes = opts.checkpointMinBytes ?? 1024 * 1024;
    this.#checkpointEveryBytes = opts.checkpointEveryBytes ?? 64 * 1024 * 1024;
    const saved = this.#checkpoint === false ? null : loadCheckpoint(this.#paths, this.#limits);
    this.#tracker = saved === null ? new ProgressTracker() : ProgressTracker.from(saved.state, saved.own);
    const eventsOpts = { lineBytesMax, readBytesMax };
    this.#events = new EventsSource(root, this.#paths.events, eventsOpts, saved?.events ?? null);
    this.#resources = new EventsSource(
      root,
      this.#paths.resources,
      { ...eventsOpts, eventSource: 'parsed' },
      saved?.resources ?? null,
    );
    const logOf = (source: 'stderr' | 'stdout') => {
      const at = saved?.[source];
      const start = at === undefined ? {} : { start: { offset: at.offset, line: at.line } };
      return new LogSource(
        source,
        root,
        this.#paths[source],
        { segmentBytesMax, readBytesMax, ...start },
        at?.applied ?? null,
      );
    };
    this.#logs = [logOf('stderr'), logOf('stdout')];
    this.#resumedFrom = this.#covered();
    this.#savedAt = this.#resumedFrom;
  }

  /** Bytes of the three files the checkpoint this follower started from covered (0 without one). */
  get resumedFromBytes(): number {
    return this.#resumedFrom;
  }

  /** True when the last poll reached the end of every file. */
  get caughtUp(): boolean {
    return this.#caughtUp;
  }

  /** The largest unfinished line and log segment held so far. */
  get buffers(): FollowerBuffers {
    return {
      eventLineBytesPeak: this.#events.lineBytesPeak,
      logSegmentBytesPeak: Math.max(...this.#logs.map((log) => log.heldBytesPeak)),
    };
  }

  /**
   * Reads what was appended since the last poll, at most `pollBytesMax` per file, and returns the
   * view: stderr, stdout, then the events file (the view does not depend on this order).
   */
  poll(opts: PollOptions = {}): ProgressState {
    const final = opts.final === true;
    const nowMs = this.#nowMs();
    const at: ReadTime = { t: new Date(nowMs).toISOString(), atMs: nowMs };
    const callsMax = Math.ceil(this.pollBytesMax / this.readBytesMax);
    let caughtUp = true;
    for (const log of this.#logs) caughtUp = log.poll(this.#tracker, callsMax, at, final) && caughtUp;
    caughtUp = this.#events.poll(this.#tracker, callsMax, final, at) && caughtUp;
    caughtUp = this.#resources.poll(this.#tracker, callsMax, final, at) && caughtUp;
    this.#caughtUp = caughtUp;
    const view = this.#tracker.view();
    this.#maybeSave(view);
    return view;
  }

  /** Bytes covered by the current positions. */
  #covered(): number {
    return (
      this.#events.position.offset +
      this.#resources.position.offset +
      this.#logs[0].position.offset +
      this.#logs[1].position.offset
    );
  }

  /** Replaces the checkpoint when this follower read far enough past the last one (a cache: failures are ignored). */
  #maybeSave(view: ProgressState): void {
    if (this.#checkpoint !== 'save') return;
    if (this.#events.failing || this.#resources.failing || this.#logs.some((log) => log.failing)) return;
    const covered = this.#covered();
    if (covered < this.#savedAt) this.#savedAt = 0; // a file shrank and is read anew
    const past = covered - this.#savedAt;
    const due = past >= this.#checkpointEveryBytes || (this.#caughtUp && past >= this.#checkpointMinBytes);
    if (!due) return;
    const [stderr, stdout] = this.#logs;
    saveCheckpoint(this.#paths, this.#limits, view, this.#tracker.own, {
      events: this.#events.position,
      resources: this.#resources.position,
      stdout: stdout.position,
      stderr: stderr.position,
    });
    // Saved, or failed (a read-only or full disk): either way, again only after as many bytes more.
    this.#savedAt = covered;
  }
}

/**
 * The view of a run directory read once from the start (status, the final view of an ended run).
 * Pass `final: true` once the job has ended, so an unterminated last line counts. Reads at most
 * what was there when it started plus a margin of `pollBytesMax`, so a fast writer cannot keep it
 * reading forever.
 */
export function progressOfRunDir(runDir: string, opts: RunFollowerOptions & PollOptions = {}): ProgressState {
  const follower = new RunFollower(runDir, opts);
  const sizeBytes = (['events', 'stdout', 'stderr'] as const)
    .map((file) => sizeOf(join(runDir, runFiles[file])))
    .reduce((a, b) => Math.max(a, b), 0);
  const passesMax = 2 + Math.ceil(sizeBytes / follower.pollBytesMax);
  let state = follower.poll(opts);
  for (let pass = 1; pass < passesMax && !follower.caughtUp; pass += 1) state = follower.poll(opts);
  return state;
}

/** A file's size, 0 when it cannot be read. */
function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
