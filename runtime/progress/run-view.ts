// The current view of a run's progress, and the pure reducer that folds events into it.
import type { CheckpointEvent, ErrorEvent, EventSource, JobEvent } from './events.ts';
import type { MetricSeries } from './metric-series.ts';
import type { BarIdentity } from './progress-lanes.ts';
import { ProgressTracker } from './progress-tracker.ts';
import type { RateSample } from './rate-window.ts';

export type { MetricPoint, MetricSeries } from './metric-series.ts';
export { metricPointsMax } from './metric-series.ts';
export { metricNamesMax, ProgressTracker, phasesMax, warningsMax } from './progress-tracker.ts';
export type { RateSample } from './rate-window.ts';

/** Where the counters shown come from, per lane. */
export interface ProgressCounters {
  readonly percent: number | null;
  readonly step: number | null;
  readonly total: number | null;
  readonly stepsPerS: number | null;
  readonly etaMs: number | null;
}

/** What the job reported itself: counters of the current phase, its last message, rate samples. */
export interface ExplicitLane {
  /** Null until the job reports percent, step or total in the current phase. */
  readonly counters: ProgressCounters | null;
  readonly message: string | null;
  readonly samples: readonly RateSample[];
}

/** What was parsed from the logs: the latest progress bar, its description, and the bars before. */
export interface ParsedLane {
  readonly counters: ProgressCounters | null;
  readonly message: string | null;
  /** Positions of the current bar on its own clock (for our own rate). */
  readonly samples: readonly RateSample[];
  /** The current bar's identity (null before the first bar). */
  readonly bar: BarIdentity | null;
  /** Descriptions of bars that were replaced by another (the parsed phases done). */
  readonly done: readonly string[];
}

/** The file a skipped line was in. */
export type SkipSource = 'events' | 'stdout' | 'stderr';

/** A line that was skipped, and why. */
export interface SkipWarning {
  readonly source: SkipSource;
  /** 1-based line number in the file (0 when the problem is the file itself). */
  readonly line: number;
  readonly reason: string;
}

/** Counts of what was applied. Kind counts are of explicit events only. */
export interface EventCounts {
  /** Explicit events applied. */
  readonly events: number;
  /** Events parsed from stdout/stderr. */
  readonly parsed: number;
  readonly progress: number;
  readonly metric: number;
  readonly checkpoint: number;
  readonly heartbeat: number;
  readonly info: number;
  readonly error: number;
  readonly unknown: number;
  /** Parsed values of metrics the job reports itself (not shown; counted whatever the read order). */
  readonly parsedIgnored: number;
  /** Metric values dropped because `metricNamesMax` names were already kept. */
  readonly metricValuesDropped: number;
}

/**
 * Skipped lines: all counted per file; the latest `warningsMax` of each file kept with their
 * reasons, listed events first, then stderr, then stdout (so the list does not depend on how
 * reads of the files interleaved).
 */
export interface SkipCounts {
  readonly total: number;
  readonly events: number;
  readonly stdout: number;
  readonly stderr: number;
  readonly warnings: readonly SkipWarning[];
  /** The first line of the events file that broke the protocol (kept for good, for one warning). */
  readonly firstBadEvent: SkipWarning | null;
}

/**
 * The reduced current view of a run. Every collection in it is bounded: phases by `phasesMax`,
 * metrics by `metricNamesMax` names of at most `metricPointsMax` points, warnings by
 * `warningsMax` per file, rate samples by `rateSamplesMax`. `percent`..`etaMs`, `progressSource` and
 * `message` are resolved from the lanes: explicit counters of the current phase win over the
 * parsed bar; an explicit message wins over a parsed one.
 */
export interface ProgressState {
  /**
   * The current phase: the job's own, else the description of the tqdm bar being drawn (a bar
   * that reached its total is a phase done, not the current one); null before the first.
   */
  readonly phase: string | null;
  /** Every phase seen: the job's own in the order first reported, then the parsed bars'. */
  readonly phases: readonly string[];
  /** `phases` without the current one. */
  readonly phasesDone: readonly string[];
  readonly percent: number | null;
  readonly step: number | null;
  readonly total: number | null;
  readonly stepsPerS: number | null;
  readonly etaMs: number | null;
  readonly progressSource: EventSource | null;
  readonly message: string | null;
  /** By name, in the order first seen (a prototype-less object). */
  readonly metrics: Readonly<Record<string, MetricSeries>>;
  readonly lastCheckpoint: CheckpointEvent | null;
  readonly lastError: ErrorEvent | null;
  /** `t` of the latest explicit event. */
  readonly lastEventAt: string | null;
  readonly counts: EventCounts;
  readonly skipped: SkipCounts;
  readonly lanes: { readonly explicit: ExplicitLane; readonly parsed: ParsedLane };
}

/** The view of a run nothing was read of yet. */
export function emptyProgressState(): ProgressState {
  return new ProgressTracker().view();
}

/**
 * Folds one event into a view and returns the new view; `state` is not changed. Costs a copy of
 * the state: to fold a stream, use a `ProgressTracker`, which applies the same rules in place.
 *
 * Explicit wins: (1) progress counters the job reported in its current phase are shown instead of
 * the parsed bar (a phase change clears them until the job reports counters again; the parsed bar
 * is shown meanwhile); (2) once the job reported metric X itself, parsed values of X are ignored
 * and the parsed history of X is replaced by the explicit one; (3) the last explicit message wins
 * over a parsed bar's description; (4) a checkpoint line parsed from the logs counts until the job
 * reports a checkpoint itself. Errors and `lastEventAt` come from explicit events only; phases are
 * the job's own, then the tqdm bars' (a described bar replaced by another, or that reached its
 * total, is a phase done). The result depends only on the order within each source, not on how the
 * two sources interleave.
 */
export function reduce(state: ProgressState, event: JobEvent, source: EventSource): ProgressState {
  const tracker = ProgressTracker.from(state);
  tracker.apply(event, source);
  return tracker.view();
}

/** Records `count` skipped lines of `source` (listing `warnings`, the latest kept); pure like `reduce`. */
export function recordSkips(
  state: ProgressState,
  source: SkipSource,
  count: number,
  warnings: readonly SkipWarning[],
): ProgressState {
  const tracker = ProgressTracker.from(state);
  tracker.skip(source, count, warnings);
  return tracker.view();
}
