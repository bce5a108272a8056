// Reading a run's events file in bounded batches into a tracker, with line numbers for every skip.
import { NdjsonReader } from '../fs/ndjson-reader.ts';
import { recordLines } from './event-lines.ts';
import { type EventSource, normalizeEvent } from './events.ts';
import type { ReadTime } from './log-events.ts';
import type { ProgressTracker } from './progress-tracker.ts';
import type { SkipWarning } from './run-view.ts';

/** Sizes of an `EventsSource`. */
export interface EventsSourceOptions {
  readonly lineBytesMax: number;
  readonly readBytesMax: number;
  /**
   * How the events count (issue 17): `explicit` for the job's own (default); the monitor's
   * resource samples count as `parsed` (no sign of the job's life, never over the job's own).
   */
  readonly eventSource?: EventSource;
}

/**
 * The explicit side of a run: `events.ndjson`. Each batch of records is validated and applied;
 * malformed, overlong, non-UTF-8 and invalid lines become warnings with their line numbers. A
 * read error is reported once until the file reads again; a file that shrank is read anew.
 */
export class EventsSource {
  readonly root: string;
  readonly path: string;
  readonly #opts: EventsSourceOptions;
  #reader: NdjsonReader;
  #line = 1;
  #lastError: string | null = null;
  #position: { offset: number; line: number } = { offset: 0, line: 1 };

  /** A source reading `path` (inside the workspace `root`) from its start, or from `start` (a saved `position`). */
  constructor(
    root: string,
    path: string,
    opts: EventsSourceOptions,
    start: { readonly offset: number; readonly line: number } | null = null,
  ) {
    this.root = root;
    this.path = path;
    this.#opts = opts;
    this.#reader = start === null ? this.#newReader() : new NdjsonReader(root, path, { ...opts, ...start });
    if (start !== null) this.#position = { offset: start.offset, line: start.line };
    this.#line = this.#position.line;
  }

  /** Where a new source would resume: the start of the first line not yet complete, and its number. */
  get position(): { readonly offset: number; readonly line: number } {
    return this.#position;
  }

  /** True while the last read failed (a position saved now would report the failure twice). */
  get failing(): boolean {
    return this.#lastError !== null;
  }

  /** Most bytes of one unfinished line held at once. */
  get lineBytesPeak(): number {
    return this.#reader.counters.bufferedBytesPeak;
  }

  /**
   * Reads at most `callsMax` batches into `tracker`; true when it reached the end of the file.
   * Events without `t` are stamped with `at`, the time of this read.
   */
  poll(tracker: ProgressTracker, callsMax: number, final: boolean, at: ReadTime): boolean {
    for (let call = 0; call < callsMax; call += 1) {
      const before = this.#reader.counters;
      const result = this.#reader.read({ final });
      if (!result.ok && result.error.code === 'RW_FILE_TRUNCATED') {
        tracker.skip('events', 0, [{ source: 'events', line: 0, reason: result.error.message }]);
        this.#reader = this.#newReader();
        this.#line = 1;
        this.#position = { offset: 0, line: 1 };
        continue;
      }
      if (!result.ok) {
        if (this.#lastError !== result.error.message) {
          tracker.skip('events', 0, [{ source: 'events', line: 0, reason: result.error.message }]);
        }
        this.#lastError = result.error.message;
        return true;
      }
      this.#lastError = null;
      const after = this.#reader.counters;
      const skipped =
        after.malformedLines + after.overlongLines - before.malformedLines - before.overlongLines;
      this.#apply(tracker, result.value.records, result.value.skipped, skipped, result.value.line, at);
      this.#position = { offset: result.value.offset, line: result.value.line };
      if (!result.value.more) return true;
    }
    return false;
  }

  /** Validates and applies one batch; reports its skipped and invalid lines by number. */
  #apply(
    tracker: ProgressTracker,
    records: readonly Record<string, unknown>[],
    skipped: readonly { line: number; reason: string }[],
    skippedCount: number,
    endLine: number,
    at: ReadTime,
  ): void {
    const firstLine = this.#line;
    this.#line = endLine;
    // The line numbers are worked out only when a record is invalid (rare), not per batch.
    let lines: number[] | null | undefined;
    let warnings: SkipWarning[] | null = null;
    let invalid = 0;
    // One pass per record of the batch.
    for (let index = 0; index < records.length; index += 1) {
      const check = normalizeEvent(records[index] as Record<string, unknown>, at);
      if (check.ok) {
        tracker.apply(check.event, this.#opts.eventSource ?? 'explicit');
        continue;
      }
      invalid += 1;
      if (lines === undefined) lines = recordLines(firstLine, endLine, records.length, skipped, skippedCount);
      const line = lines?.[index];
      const where = line === undefined ? ` (somewhere in lines ${firstLine}-${endLine - 1})` : '';
      const reason = `invalid event${where}: ${check.reason}`;
      warnings ??= [];
      warnings.push({ source: 'events', line: line ?? firstLine, reason });
    }
    if (skippedCount + invalid === 0) return;
    const all: SkipWarning[] = skipped.map((skip) => ({ source: 'events', ...skip }));
    if (warnings !== null) all.push(...warnings);
    all.sort((a, b) => a.line - b.line);
    tracker.skip('events', skippedCount + invalid, all);
  }

  /** A reader of the file from its start. */
  #newReader(): NdjsonReader {
    return new NdjsonReader(this.root, this.path, this.#opts);
  }
}
