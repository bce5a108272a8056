// Reading one of a run's logs in bounded batches into a tracker: tqdm bars and metric lines.
import { eventsOfSegment, type ReadTime } from './log-events.ts';
import { type LogSegment, LogTail, type LogTailOptions } from './log-tail.ts';
import type { ProgressTracker } from './progress-tracker.ts';

/** The unfinished segment applied as a bar: its start and trimmed text. */
export interface AppliedBar {
  readonly startOffset: number;
  readonly text: string;
}

/**
 * The parsed side of a run: `stdout.log` or `stderr.log`. Complete segments are parsed once; the
 * bar tqdm is drawing right now (the unfinished last segment) is applied as soon as it is a whole
 * bar, and not again when it completes (a block-buffered writer may split it, and only blanks may
 * follow a bar's closing ']'). A read error is reported once until the file reads again.
 */
export class LogSource {
  readonly source: 'stdout' | 'stderr';
  readonly #tail: LogTail;
  #applied: AppliedBar | null = null;
  #lastError: string | null = null;

  /**
   * A source reading `path` (inside the workspace `root`) from its start, or from `opts.start`
   * with `applied`, the unfinished bar already applied there (a saved `position`).
   */
  constructor(
    source: 'stdout' | 'stderr',
    root: string,
    path: string,
    opts: LogTailOptions,
    applied: AppliedBar | null = null,
  ) {
    this.source = source;
    this.#tail = new LogTail(root, path, opts);
    this.#applied = applied;
  }

  /** Where a new source would resume (with the bar applied there); see `LogTail.position`. */
  get position(): { readonly offset: number; readonly line: number; readonly applied: AppliedBar | null } {
    return { ...this.#tail.position, applied: this.#applied };
  }

  /** True while the last read failed (a position saved now would report the failure twice). */
  get failing(): boolean {
    return this.#lastError !== null;
  }

  /** Most bytes of one unfinished segment held at once. */
  get heldBytesPeak(): number {
    return this.#tail.heldBytesPeak;
  }

  /** Reads at most `callsMax` batches into `tracker`; true when it reached the end of the file. */
  poll(tracker: ProgressTracker, callsMax: number, at: ReadTime, final: boolean): boolean {
    const onSegment = (segment: LogSegment): void => {
      if (!this.#takeApplied(segment)) {
        for (const event of eventsOfSegment(segment.text, at, false)) tracker.apply(event, 'parsed');
      }
    };
    for (let call = 0; call < callsMax; call += 1) {
      const result = this.#tail.read(onSegment);
      if (!result.ok) {
        if (this.#lastError !== result.error.message) {
          tracker.skip(this.source, 0, [{ source: this.source, line: 0, reason: result.error.message }]);
        }
        this.#lastError = result.error.message;
        return true;
      }
      this.#lastError = null;
      const { skipped, skippedCount, more } = result.value;
      if (skippedCount > 0 || skipped.length > 0) {
        tracker.skip(
          this.source,
          skippedCount,
          skipped.map((skip) => ({ source: this.source, ...skip })),
        );
      }
      if (!more) {
        this.#applyPending(tracker, at, final);
        return true;
      }
    }
    return false;
  }

  /** True when `segment` is the unfinished segment already applied (forgetting it either way). */
  #takeApplied(segment: LogSegment): boolean {
    const applied = this.#applied;
    this.#applied = null;
    return applied?.startOffset === segment.startOffset && applied.text === segment.text.trim();
  }

  /** Applies the unfinished last segment when it is a whole bar (or anything, when final). */
  #applyPending(tracker: ProgressTracker, at: ReadTime, final: boolean): void {
    const pending = this.#tail.pending();
    if (pending === null) return;
    const text = pending.text.trim();
    if (this.#applied?.startOffset === pending.startOffset && this.#applied.text === text) return;
    const events = eventsOfSegment(pending.text, at, !final);
    if (events.length === 0) return;
    for (const event of events) tracker.apply(event, 'parsed');
    this.#applied = { startOffset: pending.startOffset, text };
  }
}
