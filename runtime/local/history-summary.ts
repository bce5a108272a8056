// One line of the history index (`history.ndjson`): what `list` shows and filters on without
// opening any record — how the run ended, and (issue 17) its tags, command, params and the final
// value of its metrics.
import type { HistoryEntry, Outcome } from '../../machine/types.ts';
import type { FinalView } from './final-view.ts';
import type { RunCard } from './run-card.ts';
import type { MetricStats, ParamValue } from './run-facts.ts';

/** What a history record keeps besides how the run ended (issue 17; absent in older records). */
export interface RecordFacts {
  /** The run card captured at start; null when it was not (yet) captured. */
  readonly card?: RunCard | null;
  /** Labels: given at start, edited with `runwarden tag`. */
  readonly tags?: readonly string[];
  /** Free text: given at start, edited with `runwarden note`. */
  readonly note?: string | null;
  /** `--param` values, then the job's `params` events (later wins). */
  readonly params?: Readonly<Record<string, ParamValue>>;
  /** Exact statistics of each metric the job reported (from its events file). */
  readonly metricStats?: Readonly<Record<string, MetricStats>>;
  /** False when the events file was too long to read whole (statistics of its first 64 MiB). */
  readonly metricStatsComplete?: boolean;
}

/** A run's history record: how it ended, the final view (stderr tail, last progress), its facts. */
export type HistoryRecord = HistoryEntry & FinalView & RecordFacts;

/** One line of the index: what `list` shows. */
export interface HistorySummary {
  readonly id: string;
  readonly name: string;
  readonly outcome: HistoryEntry['outcome'];
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly startedAt: number | null;
  readonly endedAt: number;
  readonly durationMs: number | null;
  readonly reason: HistoryEntry['reason'];
  /** Issue 17 (absent on lines written before it): the run's tags, command, params, final metrics. */
  readonly tags?: readonly string[];
  /** The command line, its words joined by spaces (at most `commandCharsMax` characters). */
  readonly command?: string;
  readonly params?: Readonly<Record<string, ParamValue>>;
  /** The last value of each metric (at most `summaryMetricsMax`). */
  readonly metrics?: Readonly<Record<string, number | string>>;
  /** Issue 14 (the same fields as its summary): the run this one resumed or retried, when it is a restart. */
  readonly parentId?: string;
  /** Issue 14: the lineage it belongs to (the first run's id), when it is a restart. */
  readonly lineageId?: string;
}

export const commandCharsMax = 500;
export const summaryMetricsMax = 32;

/** Issue 14's `config.lineage` of a restart (read defensively: {parentId, lineageId, restartCount}). */
function restartOf(config: HistoryEntry['config']): { parentId: string; lineageId: string } | null {
  const lineage = (config as unknown as Record<string, unknown>).lineage;
  if (typeof lineage !== 'object' || lineage === null) return null;
  const { parentId, lineageId } = lineage as Record<string, unknown>;
  return typeof parentId === 'string' && typeof lineageId === 'string' && lineageId !== ''
    ? { parentId, lineageId }
    : null;
}

/**
 * The lineage a run belongs to: a restart's `config.lineage.lineageId` (issue 14), else the run's
 * own id (the first run of a lineage carries none: its id is the lineage's).
 */
export function lineageOf(config: HistoryEntry['config']): string {
  return restartOf(config)?.lineageId ?? config.runId;
}

/** The last values of a record's metrics: the job's own first, then those parsed from its logs. */
function finalMetricsOf(
  record: HistoryEntry & Partial<FinalView> & RecordFacts,
): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const [name, stats] of Object.entries(record.metricStats ?? {})) {
    if (Object.keys(out).length >= summaryMetricsMax) return out;
    out[name] = stats.last.value;
  }
  for (const [name, value] of Object.entries(record.progress?.metrics ?? {})) {
    if (Object.keys(out).length >= summaryMetricsMax) return out;
    if (!(name in out)) out[name] = value;
  }
  return out;
}

/** The summary of a record (or of an entry not yet recorded). */
export function summaryOf(record: HistoryEntry & Partial<FinalView> & RecordFacts): HistorySummary {
  const restart = restartOf(record.config);
  const metrics = finalMetricsOf(record);
  const params = record.params ?? record.config.params ?? {};
  const tags = record.tags ?? record.config.tags ?? [];
  return {
    id: record.runId,
    name: record.name,
    outcome: record.outcome,
    exitCode: record.exitCode,
    signal: record.signal,
    startedAt: record.startedAt,
    endedAt: record.endedAt,
    durationMs: record.startedAt === null ? null : Math.max(0, record.endedAt - record.startedAt),
    reason: record.reason,
    ...(tags.length > 0 ? { tags: [...tags] } : {}),
    command: record.config.argv.join(' ').slice(0, commandCharsMax),
    ...(Object.keys(params).length > 0 ? { params } : {}),
    ...(Object.keys(metrics).length > 0 ? { metrics } : {}),
    ...(restart === null ? {} : { parentId: restart.parentId, lineageId: restart.lineageId }),
  };
}

/** Which ended runs `listHistory` returns (every given condition must hold). */
export interface HistoryQuery {
  /** At most this many (default: all). */
  readonly limit?: number;
  /** Only runs that ended so (default: any). */
  readonly outcomes?: readonly Outcome[];
  /** Issue 17: runs carrying every one of these tags. */
  readonly tags?: readonly string[];
  /** Runs of this name (`*` wildcards allowed). */
  readonly name?: string;
  /** Runs whose command line contains this text. */
  readonly command?: string;
  /** Runs that exited with one of these codes. */
  readonly exitCodes?: readonly number[];
  /** Runs started (or, never started, ended) at or after this time (epoch ms). */
  readonly since?: number;
  /** ... and before this time (epoch ms). */
  readonly until?: number;
  /** Runs whose params have these values (compared as text). */
  readonly params?: Readonly<Record<string, string>>;
  /** Runs of this lineage (issue 14): its first run and every restart naming it. */
  readonly lineage?: string;
}

/** A glob (`*` wildcards) as a whole-string test. */
function globTest(pattern: string): (text: string) => boolean {
  if (!pattern.includes('*')) return (text) => text === pattern;
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return (text) => re.test(text);
}

/** The test a query's conditions make of a summary (built once per listing). */
export function summaryFilter(query: HistoryQuery): (s: HistorySummary) => boolean {
  const tests: ((s: HistorySummary) => boolean)[] = [];
  const { outcomes, tags, name, command, exitCodes, since, until, params, lineage } = query;
  if (lineage !== undefined) tests.push((s) => (s.lineageId ?? s.id) === lineage);
  if (outcomes !== undefined && outcomes.length > 0) tests.push((s) => outcomes.includes(s.outcome));
  if (tags !== undefined && tags.length > 0)
    tests.push((s) => tags.every((t) => s.tags?.includes(t) === true));
  if (name !== undefined) {
    const test = globTest(name);
    tests.push((s) => test(s.name));
  }
  if (command !== undefined) tests.push((s) => s.command?.includes(command) === true);
  if (exitCodes !== undefined && exitCodes.length > 0)
    tests.push((s) => s.exitCode !== null && exitCodes.includes(s.exitCode));
  const timeOf = (s: HistorySummary) => s.startedAt ?? s.endedAt;
  if (since !== undefined) tests.push((s) => timeOf(s) >= since);
  if (until !== undefined) tests.push((s) => timeOf(s) < until);
  if (params !== undefined) {
    const wanted = Object.entries(params);
    tests.push((s) =>
      wanted.every(([k, v]) => s.params !== undefined && k in s.params && String(s.params[k]) === v),
    );
  }
  return (s) => tests.every((test) => test(s));
}

/** Text JSON writes unchanged (no quote, backslash or control character): safe to look for in raw bytes. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what JSON escapes
const rawSafe = /^[^"\\\u0000-\u001f]+$/;
const editedMark = Buffer.from('"edited":true');

/**
 * A test of an index line's raw bytes that is false only for lines the query cannot match (a
 * needed tag, param name or command text is absent from the bytes); edited lines always pass.
 * Undefined when the query has nothing to look for. Saves parsing most lines of a rare filter.
 */
export function rawLineFilter(query: HistoryQuery): ((line: Buffer) => boolean) | undefined {
  const needles = [
    ...(query.tags ?? []).map((t) => `"${t}"`),
    ...Object.keys(query.params ?? {}).map((k) => `"${k}":`),
    ...(query.command === undefined ? [] : [query.command]),
    ...(query.lineage === undefined ? [] : [`"${query.lineage}"`]),
  ].filter((n) => rawSafe.test(n.replaceAll('"', '')));
  if (needles.length === 0) return undefined;
  const bytes = needles.map((n) => Buffer.from(n));
  return (line) => line.includes(editedMark) || bytes.every((b) => line.includes(b));
}

const idPrefix = Buffer.from('{"id":"');

/** The run id a raw index line starts with (summaryOf writes `id` first), or null. */
export function rawLineId(line: Buffer): string | null {
  if (!line.subarray(0, idPrefix.length).equals(idPrefix)) return null;
  const end = line.indexOf(0x22, idPrefix.length);
  return end < 0 ? null : line.subarray(idPrefix.length, end).toString('utf8');
}
