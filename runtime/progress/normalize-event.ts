// Checking one NDJSON record against the event protocol and turning it into a typed event.
import type { EventBase, JobEvent, ProgressEvent } from './events.ts';

/** Longest `message` kept (longer ones are cut and end with an ellipsis). */
export const messageCharsMax = 2000;
/** Longest `traceback` kept (its end is kept: that is where the error is). */
export const tracebackCharsMax = 20_000;
/** Longest `kind`, phase or metric name accepted (a longer one makes the event invalid). */
export const nameCharsMax = 200;
/** Longest checkpoint path accepted. */
export const pathCharsMax = 4096;

/** A valid event, or why the record is not one. */
export type EventCheck =
  | { readonly ok: true; readonly event: JobEvent }
  | { readonly ok: false; readonly reason: string };

const nonFinite: Readonly<Record<string, number>> = {
  NaN: Number.NaN,
  nan: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  inf: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
  '-inf': Number.NEGATIVE_INFINITY,
};

/** The fields each known kind defines; everything else goes to `extra`. */
const fieldsOf: Readonly<Record<string, readonly string[]>> = {
  progress: ['phase', 'percent', 'step', 'total', 'message'],
  metric: ['name', 'value', 'step'],
  checkpoint: ['path', 'step'],
  heartbeat: [],
  info: ['message'],
  error: ['message', 'traceback'],
};

/**
 * Validates a record read from the events file. Needs `kind` (a non-empty string); `t`, when
 * given, must be a string `Date.parse` understands. A record without `t` (or with `t: null`) is
 * stamped with `readAt`, the time runwarden read it, when the caller gives one (the events file
 * does: `t` is optional in the protocol), and is refused otherwise. A known kind's fields must have their types (`null` counts as
 * absent). Unknown kinds become `UnknownEvent`s and unknown fields go to `extra`: both are kept.
 * Long messages are cut, long tracebacks keep their end; long names and paths are refused.
 * Never throws.
 */
export function normalizeEvent(
  record: Readonly<Record<string, unknown>>,
  readAt?: { readonly t: string; readonly atMs: number },
): EventCheck {
  const problems = scratch;
  problems.length = 0;
  const kind = record.kind;
  if (typeof kind !== 'string' || kind === '' || kind.length > nameCharsMax) {
    return invalid(
      `kind must be a non-empty string of at most ${nameCharsMax} characters, got ${show(kind)}`,
    );
  }
  const stamped = (record.t === undefined || record.t === null) && readAt !== undefined;
  const t = stamped ? readAt.t : record.t;
  const atMs = stamped ? readAt.atMs : typeof t === 'string' ? timeOf(t) : Number.NaN;
  if (typeof t !== 'string' || !Number.isFinite(atMs)) {
    return invalid(`${kind}: t must be an ISO 8601 time string, got ${show(t)}`);
  }
  const known = fieldsOf[kind];
  const base: EventBase = { t, atMs, extra: extraOf(record, known ?? []) };
  const event = eventOf(kind, base, record, problems);
  if (problems.length > 0 || event === null) return invalid(`${kind}: ${problems.join('; ')}`);
  return { ok: true, event };
}

/** The problems of the record being checked (one array reused: normalizeEvent is not reentrant). */
const scratch: string[] = [];

/** Two ASCII digits at `at` as a number, or -1 when either is not a digit. */
function twoDigits(text: string, at: number): number {
  const a = text.charCodeAt(at) - 48;
  const b = text.charCodeAt(at + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

const fixedIso = '____-__-__T__:__:__.___Z';
const monthDays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days in `month` (1-12) of the proleptic Gregorian `year`. */
function daysIn(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : (monthDays[month - 1] ?? 0);
}

/**
 * `Date.parse(text)`, read directly for the form every reporter writes
 * (`YYYY-MM-DDTHH:MM:SS.sssZ`, what `toISOString` gives: 3-4x faster than Date.parse, which
 * dominated a from-scratch read); any other text, and any field out of its range, goes to
 * Date.parse itself, so the result is always Date.parse's.
 */
export function timeOf(text: string): number {
  if (text.length !== fixedIso.length) return Date.parse(text);
  for (const at of [4, 7, 10, 13, 16, 19, 23]) {
    if (text.charCodeAt(at) !== fixedIso.charCodeAt(at)) return Date.parse(text);
  }
  const century = twoDigits(text, 0);
  const yy = twoDigits(text, 2);
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  const hour = twoDigits(text, 11);
  const minute = twoDigits(text, 14);
  const second = twoDigits(text, 17);
  const msHigh = twoDigits(text, 20);
  const msLow = text.charCodeAt(22) - 48;
  const year = century * 100 + yy;
  const fieldsOk =
    century >= 1 && // years below 100 mean 19xx to Date.UTC: leave them to Date.parse
    yy >= 0 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    hour >= 0 &&
    hour <= 23 &&
    minute >= 0 &&
    minute <= 59 &&
    second >= 0 &&
    second <= 59 &&
    msHigh >= 0 &&
    msLow >= 0 &&
    msLow <= 9;
  if (!fieldsOk || day > daysIn(year, month)) return Date.parse(text);
  return Date.UTC(year, month - 1, day, hour, minute, second, msHigh * 10 + msLow);
}

/** Builds the typed event of `kind` from the record's fields, noting problems. */
function eventOf(
  kind: string,
  base: EventBase,
  r: Readonly<Record<string, unknown>>,
  p: string[],
): JobEvent | null {
  switch (kind) {
    case 'progress': {
      // Built field by field in the order of the type (no spread of one-field objects per event).
      const event: { -readonly [K in keyof ProgressEvent]: ProgressEvent[K] } = { ...base, kind };
      const phase = nameField(r, 'phase', p, false);
      if (phase !== undefined) event.phase = phase;
      const percent = numberField(r, 'percent', p, Number.NEGATIVE_INFINITY);
      if (percent !== undefined) event.percent = Math.min(100, Math.max(0, percent));
      const step = numberField(r, 'step', p, 0);
      if (step !== undefined) event.step = step;
      const total = numberField(r, 'total', p, 0);
      if (total !== undefined) event.total = total;
      const message = textField(r, 'message', p, false);
      if (message !== undefined) event.message = message;
      return event;
    }
    case 'metric': {
      const name = nameField(r, 'name', p, true);
      const value = metricValue(r.value, p);
      if (name === undefined || value === undefined) return null;
      const step = numberField(r, 'step', p, 0);
      return step === undefined ? { ...base, kind, name, value } : { ...base, kind, name, value, step };
    }
    case 'checkpoint': {
      const path = r.path;
      if (typeof path !== 'string' || path === '' || path.length > pathCharsMax) {
        p.push(`path must be a non-empty string of at most ${pathCharsMax} characters, got ${show(path)}`);
        return null;
      }
      return { ...base, kind, path, ...defined('step', numberField(r, 'step', p, 0)) };
    }
    case 'heartbeat':
      return { ...base, kind };
    case 'info': {
      const message = textField(r, 'message', p, true);
      return message === undefined ? null : { ...base, kind, message };
    }
    case 'error': {
      const message = textField(r, 'message', p, true);
      const traceback = tracebackField(r.traceback, p);
      return message === undefined ? null : { ...base, kind, message, ...defined('traceback', traceback) };
    }
    default:
      return { ...base, kind: 'unknown', unknownKind: kind };
  }
}

/** An object with `key` set to `value`, or an empty one when `value` is undefined. */
function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}

/** A finite number field at least `min`, or undefined when absent; notes a wrong one. */
function numberField(r: Readonly<Record<string, unknown>>, key: string, p: string[], min: number) {
  const value = r[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isFinite(value) && value >= min) return value;
  const bound = min === Number.NEGATIVE_INFINITY ? '' : ` >= ${min}`;
  p.push(`${key} must be a finite number${bound}, got ${show(value)}`);
  return undefined;
}

/** A short non-empty name (phase, metric name); notes a missing (when required) or wrong one. */
function nameField(r: Readonly<Record<string, unknown>>, key: string, p: string[], required: boolean) {
  const value = r[key];
  if (!required && (value === undefined || value === null)) return undefined;
  if (typeof value === 'string' && value !== '' && value.length <= nameCharsMax) return value;
  p.push(`${key} must be a non-empty string of at most ${nameCharsMax} characters, got ${show(value)}`);
  return undefined;
}

/** A message, cut to `messageCharsMax`; notes a missing (when required) or wrong one. */
function textField(r: Readonly<Record<string, unknown>>, key: string, p: string[], required: boolean) {
  const value = r[key];
  if (!required && (value === undefined || value === null)) return undefined;
  if (typeof value !== 'string') {
    p.push(`${key} must be a string, got ${show(value)}`);
    return undefined;
  }
  return value.length <= messageCharsMax ? value : `${value.slice(0, messageCharsMax - 1)}…`;
}

/** A traceback, keeping its last `tracebackCharsMax` characters. */
function tracebackField(value: unknown, p: string[]): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    p.push(`traceback must be a string, got ${show(value)}`);
    return undefined;
  }
  return value.length <= tracebackCharsMax ? value : `…${value.slice(value.length - tracebackCharsMax + 1)}`;
}

/** A metric value: a finite number, or "NaN"/"Infinity"/"-Infinity" for the others. */
function metricValue(value: unknown, p: string[]): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && Object.hasOwn(nonFinite, value)) return nonFinite[value];
  p.push(`value must be a number (or "NaN", "Infinity", "-Infinity"), got ${show(value)}`);
  return undefined;
}

/** The record's fields that `kind`, `t` and the kind's own fields do not cover. */
function extraOf(
  record: Readonly<Record<string, unknown>>,
  known: readonly string[],
): Record<string, unknown> {
  let extra: Record<string, unknown> | null = null;
  for (const key in record) {
    if (!Object.hasOwn(record, key) || key === 'kind' || key === 't' || known.includes(key)) continue;
    extra ??= Object.create(null) as Record<string, unknown>;
    extra[key] = record[key];
  }
  // Most events have no extra field: they share one frozen empty record.
  return extra ?? noExtra;
}

const noExtra: Readonly<Record<string, unknown>> = Object.freeze(Object.create(null));

/** A short rendering of a bad value for a reason text. */
function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length <= 60 ? text : `${text.slice(0, 57)}...`;
}

/** An invalid check. */
function invalid(reason: string): EventCheck {
  return { ok: false, reason };
}
