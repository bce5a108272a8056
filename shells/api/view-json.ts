// The one JSON shape of a status view and of a history record, for the CLI (--json) and HTTP
// alike: the numbers a person reads, and the metric series only when asked for (they are long).
import type { HistoryRecord } from '../../runtime/local/history-store.ts';
import type { ProgressSummary } from '../../runtime/progress/progress-summary.ts';
import type { RunView, StatusView } from './status-view.ts';

/** Whether to include the metric series (`--series`, `?series=1`). */
export interface ViewJsonOptions {
  readonly series?: boolean;
}

/** One metric's kept history, as the dashboard plots it: `[x, value]` with x the step (else ordinal). */
export interface SeriesJson {
  readonly name: string;
  readonly points: readonly (readonly [number, number | string])[];
}

/** A progress summary on the wire: `series` replaced by a list of `SeriesJson`, or left out. */
export type ProgressJson = Omit<ProgressSummary, 'series'> & { readonly series?: readonly SeriesJson[] };

/** JSON has no NaN or infinities: such values travel as the strings "NaN", "Infinity", "-Infinity". */
const jsonNumber = (value: number): number | string => (Number.isFinite(value) ? value : String(value));

/** The wire shape of a progress summary (see `ProgressJson`). */
export function progressJson(
  progress: ProgressSummary | null,
  opts: ViewJsonOptions = {},
): ProgressJson | null {
  if (progress === null) return null;
  const { series, ...rest } = progress;
  if (opts.series !== true) return rest;
  return {
    ...rest,
    series: Object.entries(series).map(([name, points]) => ({
      name,
      points: points.map((point) => [point.step ?? point.n, jsonNumber(point.value)] as const),
    })),
  };
}

/** The wire shape of a status view: its run's progress as `progressJson`. */
export function statusJson<V extends StatusView & { readonly runs?: readonly RunView[] }>(
  view: V,
  opts: ViewJsonOptions = {},
) {
  // issue 12: every active run's progress in the same wire shape as the first run's.
  const runs = view.runs?.map((run) => ({ ...run, progress: progressJson(run.progress, opts) }));
  const withRuns = runs === undefined ? view : { ...view, runs };
  return view.run === null
    ? withRuns
    : { ...withRuns, run: { ...view.run, progress: progressJson(view.run.progress, opts) } };
}

/** The wire shape of a history record: its frozen progress as `progressJson`. */
export function recordJson(record: HistoryRecord, opts: ViewJsonOptions = {}) {
  return { ...record, progress: progressJson(record.progress ?? null, opts) };
}
