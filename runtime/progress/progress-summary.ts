// A compact, JSON-friendly summary of a run's progress for status, watch and the history's
// frozen view: the current numbers, the latest metrics and a few short series to plot.
import type { MetricPoint } from './metric-series.ts';
import type { ProgressState } from './run-view.ts';

/** Most metrics whose series a summary keeps, and points per kept series. */
export const summarySeriesMax = 8;
export const summaryPointsMax = 200;

/** The current numbers of a progress state, as users see them. */
export type CurrentNumbers = Pick<
  ProgressState,
  'phase' | 'phasesDone' | 'percent' | 'step' | 'total' | 'stepsPerS' | 'etaMs' | 'message' | 'lastEventAt'
>;

/** What users see of a run's progress. */
export interface ProgressSummary extends CurrentNumbers {
  /** The latest value of every metric, in the order first seen. */
  readonly metrics: Readonly<Record<string, number>>;
  /** Downsampled history of the first metrics (the loss curve of a frozen view). */
  readonly series: Readonly<Record<string, readonly MetricPoint[]>>;
  readonly lastCheckpoint: { readonly path: string; readonly step: number | null } | null;
  readonly lastError: { readonly message: string; readonly traceback: string | null } | null;
  /** Lines skipped as malformed, over all sources. */
  readonly skippedLines: number;
  /** Lines of the events file that broke the protocol, and the first of them (line and why). */
  readonly badEvents: { readonly count: number; readonly line: number; readonly reason: string } | null;
}

/** At most `max` items, evenly spread, always including the last (for plots and records). */
export function thin<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  const out: T[] = [];
  const stride = items.length / max;
  for (let i = 0; i < max - 1; i++) {
    const item = items[Math.floor(i * stride)];
    if (item !== undefined) out.push(item);
  }
  const last = items.at(-1);
  if (last !== undefined) out.push(last);
  return out;
}

/** A percentage as people read it: one decimal (33.3, not 33.333333333333336). */
export function roundPercent(percent: number | null): number | null {
  return percent === null ? null : Math.round(percent * 10) / 10;
}

/** A rate as people read it: four significant digits. */
export function roundRate(perS: number | null): number | null {
  return perS === null || !Number.isFinite(perS) ? perS : Number(perS.toPrecision(4));
}

/** The summary of a progress state, or null when the job reported nothing and printed no bars. */
export function summaryOf(state: ProgressState): ProgressSummary | null {
  const metricNames = Object.keys(state.metrics);
  const anything =
    state.skipped.firstBadEvent !== null ||
    state.phase !== null ||
    state.phases.length > 0 ||
    state.percent !== null ||
    state.step !== null ||
    metricNames.length > 0 ||
    state.lastError !== null;
  if (!anything && state.lastCheckpoint === null && state.message === null) return null;
  const metrics: Record<string, number> = {};
  const series: Record<string, readonly MetricPoint[]> = {};
  for (const name of metricNames) {
    const m = state.metrics[name];
    if (m === undefined) continue;
    metrics[name] = m.value;
    if (Object.keys(series).length < summarySeriesMax) series[name] = thin(m.points, summaryPointsMax);
  }
  return {
    phase: state.phase,
    phasesDone: state.phasesDone,
    percent: roundPercent(state.percent),
    step: state.step,
    total: state.total,
    stepsPerS: roundRate(state.stepsPerS),
    etaMs: state.etaMs === null ? null : Math.round(state.etaMs),
    message: state.message,
    metrics,
    series,
    lastCheckpoint:
      state.lastCheckpoint === null
        ? null
        : { path: state.lastCheckpoint.path, step: state.lastCheckpoint.step ?? null },
    lastError:
      state.lastError === null
        ? null
        : { message: state.lastError.message, traceback: state.lastError.traceback ?? null },
    lastEventAt: state.lastEventAt,
    skippedLines: state.skipped.total,
    badEvents: badEventsOf(state),
  };
}

/** How many events were bad and the first bad line with its reason; null when none was. */
export function badEventsOf(state: ProgressState): { count: number; line: number; reason: string } | null {
  const first = state.skipped.firstBadEvent;
  return first === null ? null : { count: state.skipped.events, line: first.line, reason: first.reason };
}
