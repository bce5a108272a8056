// What a history record keeps of a run besides how it ended (issue 17): its card, its params
// (given at start, then the job's `params` events) and exact statistics of every metric the job
// reported (last, min, max with their steps), read once from the events file when the run ends.
import { NdjsonReader } from '../fs/ndjson-reader.ts';
import type { Layout } from './layout.ts';
import { type RunCard, readRunCard } from './run-card.ts';

/** A param value as kept: text, number, boolean or null. */
export type ParamValue = string | number | boolean | null;

/** One value of a metric at a step (null: the job gave none; `n` is its 1-based ordinal). */
export interface MetricAt {
  readonly value: number;
  readonly step: number | null;
  readonly n: number;
}

/** Exact statistics of one metric over all its values. */
export interface MetricStats {
  /** The last value; a non-finite one (NaN, Infinity) is kept by name. */
  readonly last: { readonly value: number | string; readonly step: number | null; readonly n: number };
  /** Smallest and largest finite values (null when no value was finite), the first of equals. */
  readonly min: MetricAt | null;
  readonly max: MetricAt | null;
  readonly count: number;
}

/** The facts of an ended run that its history record keeps. */
export interface RunFacts {
  readonly card: RunCard | null;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly metrics: Readonly<Record<string, MetricStats>>;
}

/** Most params and metrics kept per run; longest param text kept. */
export const paramsMax = 256;
export const metricsMax = 256;
const paramCharsMax = 1024;
/** Most bytes of an events file read for the facts (a bound on the end of a huge run). */
const eventsBytesMax = 1024 * 1024 * 1024;

/** A param value made storable (long text cut, objects as JSON text). */
function paramValueOf(value: unknown): ParamValue | undefined {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'string') return value.slice(0, paramCharsMax);
  if (value === undefined) return undefined;
  return JSON.stringify(value).slice(0, paramCharsMax);
}

/** Merge a `params` event's object into `into` (later values win; nested objects as `a.b`). */
export function mergeParams(into: Record<string, ParamValue>, params: unknown, prefix = ''): void {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return;
  for (const [key, value] of Object.entries(params)) {
    const name = `${prefix}${key}`;
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && prefix === '') {
      mergeParams(into, value, `${name}.`);
      continue;
    }
    if (!(name in into) && Object.keys(into).length >= paramsMax) continue;
    const kept = paramValueOf(value);
    if (kept !== undefined) into[name] = kept;
  }
}

/** A metric event's value as a number (the protocol writes non-finite ones by name). */
function metricValueOf(value: unknown): number | null {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  return null;
}

interface StatsDraft {
  last: { value: number | string; step: number | null; n: number };
  min: MetricAt | null;
  max: MetricAt | null;
  count: number;
}

/** Account one metric value. */
function addMetric(stats: Map<string, StatsDraft>, name: string, value: number, step: number | null): void {
  let s = stats.get(name);
  if (s === undefined) {
    if (stats.size >= metricsMax) return;
    s = { last: { value: 0, step: null, n: 0 }, min: null, max: null, count: 0 };
    stats.set(name, s);
  }
  s.count += 1;
  const n = s.count;
  s.last = { value: Number.isFinite(value) ? value : String(value), step, n };
  if (!Number.isFinite(value)) return;
  if (s.min === null || value < s.min.value) s.min = { value, step, n };
  if (s.max === null || value > s.max.value) s.max = { value, step, n };
}

/** Params and metric statistics from a run's events file (one forward pass, bounded). */
export function eventFactsOf(
  layout: Layout,
  runId: string,
  startParams: Readonly<Record<string, string>> = {},
): Pick<RunFacts, 'params' | 'metrics'> {
  const params: Record<string, ParamValue> = { ...startParams };
  const stats = new Map<string, StatsDraft>();
  const reader = new NdjsonReader(layout.root, layout.runFile(runId, 'events'));
  let scanned = 0;
  for (;;) {
    const batch = reader.read({ final: true });
    if (!batch.ok) break;
    for (const r of batch.value.records) {
      if (r.kind === 'params') mergeParams(params, r.params);
      else if (r.kind === 'metric' && typeof r.name === 'string' && r.name !== '') {
        const value = metricValueOf(r.value);
        const step = typeof r.step === 'number' && Number.isFinite(r.step) ? r.step : null;
        if (value !== null) addMetric(stats, r.name, value, step);
      }
    }
    scanned = reader.counters.bytesScanned;
    if (!batch.value.more || scanned >= eventsBytesMax) break;
  }
  return { params, metrics: Object.fromEntries(stats) };
}

/** The facts of run `runId` from its directory (card, params, metric statistics). */
export function runFactsOf(
  layout: Layout,
  runId: string,
  startParams: Readonly<Record<string, string>> = {},
): RunFacts {
  return { card: readRunCard(layout, runId), ...eventFactsOf(layout, runId, startParams) };
}
