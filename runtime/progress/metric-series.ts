// The values of one metric: the latest exactly, the history thinned to a bounded number of points.
import type { EventSource } from './events.ts';

/** Most history points kept per metric; enough to plot a loss curve. */
export const metricPointsMax = 1000;

/** One kept value. */
export interface MetricPoint {
  /** 1-based ordinal of the value among this metric's values (an x axis when `step` is null). */
  readonly n: number;
  readonly step: number | null;
  readonly value: number;
}

/** A metric as the view shows it. */
export interface MetricSeries {
  readonly name: string;
  /** Explicit once the job reported this metric itself; parsed values of it are then ignored. */
  readonly source: EventSource;
  /** The latest value and its step. */
  readonly value: number;
  readonly step: number | null;
  /** Values seen in total. */
  readonly count: number;
  /** Every `stride`-th value is kept in `points` (1, 2, 4, ... doubling as values accumulate). */
  readonly stride: number;
  /** Kept values, oldest first; at most `metricPointsMax`. */
  readonly points: readonly MetricPoint[];
}

/** A series being updated in place (the tracker's working copy). */
export interface SeriesDraft {
  name: string;
  source: EventSource;
  value: number;
  step: number | null;
  count: number;
  stride: number;
  points: MetricPoint[];
}

/** A new series holding its first value. */
export function newSeries(
  name: string,
  source: EventSource,
  value: number,
  step: number | null,
): SeriesDraft {
  const draft: SeriesDraft = { name, source, value, step, count: 0, stride: 1, points: [] };
  addValue(draft, value, step);
  return draft;
}

/**
 * Records a value: it becomes the latest, and it is kept as a point when its ordinal is 1 more
 * than a multiple of `stride`. When `metricPointsMax` points are kept, every other one is dropped
 * and the stride doubles, so the kept points stay evenly spaced over the whole history and the
 * result depends only on the sequence of values (not on when anyone looked).
 */
export function addValue(draft: SeriesDraft, value: number, step: number | null): void {
  draft.count += 1;
  draft.value = value;
  draft.step = step;
  if ((draft.count - 1) % draft.stride !== 0) return;
  draft.points.push({ n: draft.count, step, value });
  if (draft.points.length < metricPointsMax) return;
  draft.stride *= 2;
  draft.points = draft.points.filter((point) => (point.n - 1) % draft.stride === 0);
}

/** A draft copied from a view's series. */
export function draftOf(series: MetricSeries): SeriesDraft {
  return { ...series, points: [...series.points] };
}

/** A view's series copied from a draft. */
export function seriesOf(draft: SeriesDraft): MetricSeries {
  return { ...draft, points: [...draft.points] };
}
