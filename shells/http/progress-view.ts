// The progress of a run as the HTTP API and the dashboard get it: scalars plus bounded plots.
import {
  badEventsOf,
  type CurrentNumbers,
  type ProgressState,
  roundPercent,
  roundRate,
  thin,
} from '../api/progress.ts';

/** Metrics sent at most, and points per metric at most (the page plots them). */
export const metricsSentMax = 8;
export const plotPointsMax = 200;

/** One metric: its latest value and a thinned history as [x, value] pairs (x = step or ordinal). */
export interface MetricView {
  readonly name: string;
  readonly value: number;
  readonly step: number | null;
  readonly count: number;
  readonly points: readonly (readonly [number, number])[];
}

/** What the dashboard shows of a run's progress. */
export interface ProgressView extends CurrentNumbers {
  readonly lastCheckpoint: { readonly path: string; readonly step: number | null } | null;
  readonly lastError: { readonly message: string } | null;
  readonly metrics: readonly MetricView[];
  /** The first line of the events file that broke the protocol, and how many did (null: none). */
  readonly badEvents: { readonly count: number; readonly line: number; readonly reason: string } | null;
}

/** Finite numbers only (JSON cannot carry NaN or infinities). */
const finite = (n: number | null): number | null => (n !== null && Number.isFinite(n) ? n : null);

/** The view of a progress state, bounded for the wire. */
export function progressViewOf(state: ProgressState): ProgressView {
  const metrics = Object.values(state.metrics)
    .slice(0, metricsSentMax)
    .map((m) => ({
      name: m.name,
      value: finite(m.value) ?? 0,
      step: m.step,
      count: m.count,
      points: thin(
        m.points.filter((p) => Number.isFinite(p.value)),
        plotPointsMax,
      ).map((p) => [p.step ?? p.n, p.value] as const),
    }));
  const checkpoint = state.lastCheckpoint;
  return {
    phase: state.phase,
    phasesDone: state.phasesDone.slice(-20),
    percent: finite(roundPercent(state.percent)),
    step: finite(state.step),
    total: finite(state.total),
    stepsPerS: finite(roundRate(state.stepsPerS)),
    etaMs: finite(state.etaMs),
    message: state.message,
    lastCheckpoint: checkpoint === null ? null : { path: checkpoint.path, step: checkpoint.step ?? null },
    lastError: state.lastError === null ? null : { message: state.lastError.message },
    lastEventAt: state.lastEventAt,
    metrics,
    badEvents: badEventsOf(state),
  };
}
