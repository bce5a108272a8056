// Folding a stream of events into a run's progress view in place, within fixed bounds.
import type {
  CheckpointEvent,
  ErrorEvent,
  EventSource,
  JobEvent,
  MetricEvent,
  ProgressEvent,
} from './events.ts';
import {
  addValue,
  draftOf,
  type MetricSeries,
  newSeries,
  type SeriesDraft,
  seriesOf,
} from './metric-series.ts';
import {
  type ExplicitLaneDraft,
  mergeExplicit,
  type ParsedLaneDraft,
  replaceParsed,
} from './progress-lanes.ts';
import type { EventCounts, ProgressState, SkipSource, SkipWarning } from './run-view.ts';

/** Most distinct metric names kept; values of further names are counted in `metricValuesDropped`. */
export const metricNamesMax = 100;
/** Most distinct phases listed. */
export const phasesMax = 100;
/** Latest skip warnings kept per file (all are counted). */
export const warningsMax = 20;

/** The phases the job reported itself, apart from the parsed bars'. */
export interface OwnPhases {
  readonly phase: string | null;
  readonly phases: readonly string[];
}

type Counts = { -readonly [K in keyof EventCounts]: EventCounts[K] };
type Skips = { total: number; events: number; stdout: number; stderr: number };

/**
 * The mutable working copy behind `reduce`: `apply` folds one event in O(1) amortised time and
 * `view()` returns an immutable `ProgressState` (copying at most the bounded history). The rules
 * are those documented on `reduce`.
 */
export class ProgressTracker {
  #phase: string | null = null;
  #phases: string[] = [];
  #explicit: ExplicitLaneDraft = { counters: null, message: null, samples: [] };
  #parsed: ParsedLaneDraft = { counters: null, message: null, samples: [], bar: null, done: [] };
  #metrics = new Map<string, SeriesDraft>();
  #shown = new Map<string, { count: number; source: EventSource; series: MetricSeries }>();
  #lastCheckpoint: CheckpointEvent | null = null;
  #lastError: ErrorEvent | null = null;
  #lastEventAt: string | null = null;
  #counts: Counts = {
    events: 0,
    parsed: 0,
    progress: 0,
    metric: 0,
    checkpoint: 0,
    heartbeat: 0,
    info: 0,
    error: 0,
    unknown: 0,
    parsedIgnored: 0,
    metricValuesDropped: 0,
  };
  #skips: Skips = { total: 0, events: 0, stdout: 0, stderr: 0 };
  #warnings: Record<SkipSource, SkipWarning[]> = { events: [], stderr: [], stdout: [] };
  #firstBadEvent: SkipWarning | null = null;

  /**
   * A tracker that continues from a view. A view merges the job's own phases with the parsed
   * bars' (its `phase` may be a bar's description): pass `own` (a tracker's `own`, kept with the
   * view) to continue exactly, as a checkpoint does; without it the view's phases count as the job's.
   */
  static from(state: ProgressState, own?: OwnPhases): ProgressTracker {
    const tracker = new ProgressTracker();
    tracker.#phase = own === undefined ? state.phase : own.phase;
    tracker.#phases = [...(own === undefined ? state.phases : own.phases)];
    const { explicit, parsed } = state.lanes;
    tracker.#explicit = {
      counters: explicit.counters,
      message: explicit.message,
      samples: [...explicit.samples],
    };
    tracker.#parsed = {
      counters: parsed.counters,
      message: parsed.message,
      samples: [...parsed.samples],
      bar: parsed.bar,
      done: [...parsed.done],
    };
    for (const series of Object.values(state.metrics)) tracker.#metrics.set(series.name, draftOf(series));
    tracker.#lastCheckpoint = state.lastCheckpoint;
    tracker.#lastError = state.lastError;
    tracker.#lastEventAt = state.lastEventAt;
    tracker.#counts = { ...state.counts };
    const { warnings, firstBadEvent, ...skips } = state.skipped;
    tracker.#skips = { ...skips };
    tracker.#firstBadEvent = firstBadEvent;
    for (const warning of warnings) tracker.#warnings[warning.source].push(warning);
    return tracker;
  }

  /** The job's own current phase and phases (the view mixes in the parsed bars'). */
  get own(): OwnPhases {
    return { phase: this.#phase, phases: [...this.#phases] };
  }

  /** Folds one event in. */
  apply(event: JobEvent, source: EventSource): void {
    if (source === 'explicit') {
      this.#lastEventAt = event.t;
      this.#counts.events += 1;
      this.#counts[event.kind] += 1;
    } else {
      this.#counts.parsed += 1;
    }
    if (event.kind === 'progress') {
      if (source === 'explicit') this.#explicitProgress(event);
      else replaceParsed(this.#parsed, event);
    } else if (event.kind === 'metric') {
      this.#metric(event, source);
    } else if (event.kind === 'checkpoint' && (source === 'explicit' || this.#counts.checkpoint === 0)) {
      // A checkpoint line in the logs counts until the job reports checkpoints itself.
      this.#lastCheckpoint = event;
    } else if (event.kind === 'error' && source === 'explicit') {
      this.#lastError = event;
    } else if (event.kind === 'info' && source === 'explicit') {
      this.#explicit.message = event.message;
    }
  }

  /** Counts `count` skipped lines of `source` and keeps the latest warnings. */
  skip(source: SkipSource, count: number, warnings: readonly SkipWarning[]): void {
    this.#skips.total += count;
    this.#skips[source] += count;
    const firstEvent = warnings.find((warning) => warning.source === 'events' && warning.line > 0);
    if (this.#firstBadEvent === null && firstEvent !== undefined) this.#firstBadEvent = firstEvent;
    for (const warning of warnings.slice(-warningsMax)) {
      const kept = this.#warnings[warning.source];
      kept.push(warning);
      if (kept.length > warningsMax) kept.shift();
    }
  }

  /** The current view (a copy that later `apply` calls do not change). */
  view(): ProgressState {
    const explicit = this.#explicit;
    const warnings = this.#warnings;
    const bars = this.#barPhases();
    const shown = explicit.counters ?? bars.counters;
    const phase = this.#phase ?? bars.current;
    const phases = [...this.#phases];
    for (const name of [...bars.done, ...(bars.current === null ? [] : [bars.current])]) {
      if (!phases.includes(name)) phases.push(name);
    }
    return {
      phase,
      phases,
      phasesDone: phases.filter((name) => name !== phase),
      percent: shown?.percent ?? null,
      step: shown?.step ?? null,
      total: shown?.total ?? null,
      stepsPerS: shown?.stepsPerS ?? null,
      etaMs: shown?.etaMs ?? null,
      progressSource: explicit.counters !== null ? 'explicit' : shown !== null ? 'parsed' : null,
      message: explicit.message ?? bars.message,
      metrics: this.#metricsView(),
      lastCheckpoint: this.#lastCheckpoint,
      lastError: this.#lastError,
      lastEventAt: this.#lastEventAt,
      counts: { ...this.#counts },
      skipped: {
        ...this.#skips,
        warnings: [...warnings.events, ...warnings.stderr, ...warnings.stdout],
        firstBadEvent: this.#firstBadEvent,
      },
      lanes: {
        explicit: { counters: explicit.counters, message: explicit.message, samples: [...explicit.samples] },
        parsed: { ...this.#parsed, samples: [...this.#parsed.samples], done: [...this.#parsed.done] },
      },
    };
  }

  /**
   * The parsed bars as phases: the bar being drawn is the current one (named by its description);
   * a described bar that reached its total is done, and its counters are no longer the run's.
   */
  #barPhases(): {
    current: string | null;
    done: readonly string[];
    counters: ProgressState['lanes']['parsed']['counters'];
    message: string | null;
  } {
    const lane = this.#parsed;
    const bar = lane.bar;
    const finished =
      bar !== null &&
      bar.description !== null &&
      bar.total !== null &&
      bar.total > 0 &&
      bar.step >= bar.total;
    if (bar === null || !finished) {
      return {
        current: bar?.description ?? null,
        done: lane.done,
        counters: lane.counters,
        message: lane.message,
      };
    }
    const done =
      bar.description === null || lane.done.includes(bar.description)
        ? lane.done
        : [...lane.done, bar.description];
    return { current: null, done, counters: null, message: null };
  }

  /** A progress event from the job: a new phase clears the counters, then its fields merge in. */
  #explicitProgress(event: ProgressEvent): void {
    if (event.phase !== undefined && event.phase !== this.#phase) {
      this.#phase = event.phase;
      const known = this.#phases.includes(event.phase);
      if (!known && this.#phases.length < phasesMax) this.#phases.push(event.phase);
      this.#explicit.counters = null;
      this.#explicit.samples.length = 0;
    }
    mergeExplicit(this.#explicit, event);
  }

  /** A metric value: explicit replaces parsed history, parsed never overrides explicit. */
  #metric(event: MetricEvent, source: EventSource): void {
    const step = event.step ?? null;
    const series = this.#metrics.get(event.name);
    if (series === undefined) {
      if (this.#metrics.size >= metricNamesMax) this.#counts.metricValuesDropped += 1;
      else this.#metrics.set(event.name, newSeries(event.name, source, event.value, step));
    } else if (source === 'parsed' && series.source === 'explicit') {
      this.#counts.parsedIgnored += 1;
    } else if (source === 'explicit' && series.source === 'parsed') {
      this.#counts.parsedIgnored += series.count;
      this.#metrics.set(event.name, newSeries(event.name, source, event.value, step));
    } else {
      addValue(series, event.value, step);
    }
  }

  /** The metrics as a prototype-less record, reusing copies of series that did not change. */
  #metricsView(): Record<string, MetricSeries> {
    const out: Record<string, MetricSeries> = Object.create(null);
    for (const [name, draft] of this.#metrics) {
      let cached = this.#shown.get(name);
      if (cached === undefined || cached.count !== draft.count || cached.source !== draft.source) {
        cached = { count: draft.count, source: draft.source, series: seriesOf(draft) };
        this.#shown.set(name, cached);
      }
      out[name] = cached.series;
    }
    return out;
  }
}
