// What a history record keeps of a run besides how it ended (issue 17): its card, its params
// (given at start, then the job's `params` events) and exact statistics of every metric the job
// reported (last, min, max with their steps), read once from the events file when the run ends.
import { readUpTo, withConfinedFile } from '../fs/confined.ts';
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
  /** False when the events file was longer than `eventsBytesMax` (the statistics cover its start). */
  readonly metricsComplete: boolean;
}

/** Most params and metrics kept per run; longest param text kept. */
export const paramsMax = 256;
export const metricsMax = 256;
const paramCharsMax = 1024;
/**
 * Most bytes of an events file read for the facts: the scan runs once, when the run is recorded,
 * and must not hold the finaliser for long (64 MiB, ~500k metric events, about a second here).
 * A longer file's statistics cover its first 64 MiB and say so (`metricStatsComplete` false).
 */
export const eventsBytesMax = 64 * 1024 * 1024;

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

const chunkBytes = 1024 * 1024;
const metricMark = Buffer.from('"metric"');
const paramsMark = Buffer.from('"params"');
/** A helper's compact metric line, read without JSON.parse (the bulk of a long events file). */
const compactMetric =
  /^\{(?:"t":"[^"\\]*",)?"kind":"metric","name":"([^"\\]+)","value":(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|"NaN"|"Infinity"|"-Infinity")(?:,"step":(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?))?\}$/;

/** A line as a record, or null (not a JSON object). */
function parsed(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/**
 * Params and metric statistics from a run's events file: one forward pass over at most
 * `eventsBytesMax` bytes through the confined layer. Lines that mention neither `"metric"` nor
 * `"params"` are skipped unparsed, and the helpers' compact metric lines are read by one regular
 * expression; anything else that may be one is parsed as JSON (bad lines are skipped).
 */
export function eventFactsOf(
  layout: Layout,
  runId: string,
  startParams: Readonly<Record<string, string>> = {},
  bytesMax = eventsBytesMax,
): Pick<RunFacts, 'params' | 'metrics' | 'metricsComplete'> {
  const params: Record<string, ParamValue> = { ...startParams };
  const stats = new Map<string, StatsDraft>();
  const line = (bytes: Buffer): void => {
    const isMetric = bytes.includes(metricMark);
    if (!isMetric && !bytes.includes(paramsMark)) return;
    const text = bytes.toString('utf8').trim();
    const fast = isMetric ? compactMetric.exec(text) : null;
    if (fast !== null) {
      const value = metricValueOf(fast[2]?.startsWith('"') ? fast[2].slice(1, -1) : Number(fast[2]));
      if (value !== null)
        addMetric(stats, fast[1] ?? '', value, fast[3] === undefined ? null : Number(fast[3]));
      return;
    }
    const r = parsed(text);
    if (r === null) return;
    if (r.kind === 'params') mergeParams(params, r.params);
    else if (r.kind === 'metric' && typeof r.name === 'string' && r.name !== '') {
      const value = metricValueOf(r.value);
      const step = typeof r.step === 'number' && Number.isFinite(r.step) ? r.step : null;
      if (value !== null) addMetric(stats, r.name, value, step);
    }
  };
  const read = withConfinedFile(layout.root, layout.runFile(runId, 'events'), (fd, sizeBytes) => {
    const endBytes = Math.min(sizeBytes, bytesMax);
    let carry: Buffer = Buffer.alloc(0);
    for (let position = 0; position < endBytes; position += chunkBytes) {
      const block = Buffer.concat([carry, readUpTo(fd, Math.min(chunkBytes, endBytes - position), position)]);
      let from = 0;
      for (let nl = block.indexOf(0x0a, from); nl >= 0; nl = block.indexOf(0x0a, from)) {
        line(block.subarray(from, nl));
        from = nl + 1;
      }
      carry = block.subarray(from);
    }
    // The run has ended: an unterminated last line is complete (if it parses).
    if (carry.length > 0 && endBytes === sizeBytes) line(carry);
    return endBytes === sizeBytes;
  });
  const complete = !read.ok || read.value === 'missing' || read.value;
  return { params, metrics: Object.fromEntries(stats), metricsComplete: complete };
}

/** The facts of run `runId` from its directory (card, params, metric statistics). */
export function runFactsOf(
  layout: Layout,
  runId: string,
  startParams: Readonly<Record<string, string>> = {},
): RunFacts {
  return { card: readRunCard(layout, runId), ...eventFactsOf(layout, runId, startParams) };
}
