// Comparing ended runs (issue 17): for each metric its last, min and max values with their steps
// per run; for each run its outcome, duration, params, git commit; and the config fields that
// differ. Runs of one lineage (resumes, issue 14) count as one: their metrics are joined.
import { type HistoryRecord, listHistory } from '../../runtime/local/history-store.ts';
import { lineageOf } from '../../runtime/local/history-summary.ts';
import type { Layout } from '../../runtime/local/layout.ts';
import type { MetricStats, ParamValue } from '../../runtime/local/run-facts.ts';
import { RunwardenError } from './errors.ts';
import { getHistory } from './history.ts';
import { resolveRun } from './run-resolver.ts';

/** What to compare. */
export interface CompareOptions {
  /** Only these metrics (default: every metric any run reported, but the sys/* resource samples). */
  readonly metrics?: readonly string[];
}

/** One compared run (or lineage: `members` lists its runs, oldest first). */
export interface ComparedRun {
  readonly id: string;
  readonly name: string;
  readonly outcome: HistoryRecord['outcome'];
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly reason: HistoryRecord['reason'];
  readonly startedAt: number | null;
  readonly endedAt: number;
  /** Summed over a lineage's runs. */
  readonly durationMs: number | null;
  readonly tags: readonly string[];
  readonly note: string | null;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly git: {
    readonly commit: string;
    readonly branch: string | null;
    readonly dirty: boolean;
    readonly remote: string | null;
  } | null;
  readonly lineage: string | null;
  readonly members: readonly string[];
}

/**
 * A metric's statistics in one compared run; `exact` false when only the record's kept series had
 * it, or when the events file was too long to read whole (then they cover its first 64 MiB).
 */
export interface ComparedMetric extends MetricStats {
  readonly exact: boolean;
}

/** The comparison: `metrics[].values` and `params[].values` line up with `runs`. */
export interface Comparison {
  readonly runs: readonly ComparedRun[];
  readonly metrics: readonly { readonly name: string; readonly values: readonly (ComparedMetric | null)[] }[];
  readonly params: readonly {
    readonly name: string;
    readonly values: readonly (ParamValue | null)[];
    readonly differs: boolean;
  }[];
  /** Config fields (argv, cwd, env, graceMs…) whose values differ between the runs. */
  readonly configDiff: readonly { readonly field: string; readonly values: readonly unknown[] }[];
}

/** Most runs one comparison takes. */
export const compareRunsMax = 32;

/** A metric's statistics from a record: exact ones, or derived from its kept series and latest value. */
function metricsOf(record: HistoryRecord): Map<string, ComparedMetric> {
  const out = new Map<string, ComparedMetric>();
  const exact = record.metricStatsComplete !== false;
  for (const [name, s] of Object.entries(record.metricStats ?? {})) out.set(name, { ...s, exact });
  const progress = record.progress;
  for (const [name, value] of Object.entries(progress?.metrics ?? {})) {
    if (out.has(name)) continue;
    const points = progress?.series[name] ?? [];
    let min: ComparedMetric['min'] = null;
    let max: ComparedMetric['max'] = null;
    for (const p of points) {
      if (!Number.isFinite(p.value)) continue;
      if (min === null || p.value < min.value) min = { value: p.value, step: p.step, n: p.n };
      if (max === null || p.value > max.value) max = { value: p.value, step: p.step, n: p.n };
    }
    const lastPoint = points.at(-1);
    out.set(name, {
      last: { value, step: lastPoint?.step ?? null, n: lastPoint?.n ?? points.length },
      min,
      max,
      count: lastPoint?.n ?? points.length,
      exact: false,
    });
  }
  return out;
}

/** The statistics of one metric over a lineage's runs, oldest first (ordinals continue). */
function joined(parts: readonly ComparedMetric[]): ComparedMetric {
  let count = 0;
  let min: ComparedMetric['min'] = null;
  let max: ComparedMetric['max'] = null;
  let last: ComparedMetric['last'] = parts[0]?.last ?? { value: 0, step: null, n: 0 };
  let exact = true;
  for (const p of parts) {
    const shift = <T extends { n: number }>(v: T): T => ({ ...v, n: v.n + count });
    if (p.min !== null && (min === null || p.min.value < min.value)) min = shift(p.min);
    if (p.max !== null && (max === null || p.max.value > max.value)) max = shift(p.max);
    last = shift(p.last);
    count += p.count;
    exact &&= p.exact;
  }
  return { last, min, max, count, exact };
}

/** One entry of the comparison from a run's records (one, or a lineage's, oldest first). */
function comparedOf(records: readonly HistoryRecord[]): {
  run: ComparedRun;
  metrics: Map<string, ComparedMetric>;
} {
  const latest = records.at(-1);
  const first = records[0];
  if (latest === undefined || first === undefined) throw new Error('comparedOf: no record');
  const durations = records.map((r) => (r.startedAt === null ? null : Math.max(0, r.endedAt - r.startedAt)));
  const params: Record<string, ParamValue> = {};
  for (const r of records) Object.assign(params, r.params ?? r.config.params ?? {});
  const card = latest.card ?? null;
  const perRun = records.map(metricsOf);
  const names = new Set(perRun.flatMap((m) => [...m.keys()]));
  const metrics = new Map<string, ComparedMetric>();
  for (const name of names) {
    const parts = perRun.map((m) => m.get(name)).filter((m): m is ComparedMetric => m !== undefined);
    metrics.set(name, parts.length === 1 && parts[0] !== undefined ? parts[0] : joined(parts));
  }
  return {
    run: {
      id: latest.runId,
      name: latest.name,
      outcome: latest.outcome,
      exitCode: latest.exitCode,
      signal: latest.signal,
      reason: latest.reason,
      startedAt: first.startedAt,
      endedAt: latest.endedAt,
      durationMs: durations.every((d) => d === null)
        ? null
        : durations.reduce<number>((a, d) => a + (d ?? 0), 0),
      tags: latest.tags ?? latest.config.tags ?? [],
      note: latest.note !== undefined ? latest.note : (latest.config.note ?? null),
      params,
      git:
        card?.git == null
          ? null
          : {
              commit: card.git.commit,
              branch: card.git.branch,
              dirty: card.git.dirty,
              remote: card.git.remote,
            },
      lineage: records.length > 1 ? lineageOf(latest.config) : null,
      members: records.map((r) => r.runId),
    },
    metrics,
  };
}

/** Config fields shown elsewhere (or unique per run by nature) and left out of the diff. */
const notDiffed = new Set(['runId', 'tags', 'note', 'params', 'lineage']);

/** The config fields whose values differ between the records. */
function configDiffOf(records: readonly HistoryRecord[]): Comparison['configDiff'] {
  const configs = records.map((r) => r.config as unknown as Record<string, unknown>);
  const fields = [...new Set(configs.flatMap((c) => Object.keys(c)))].filter((f) => !notDiffed.has(f));
  const diff: { field: string; values: unknown[] }[] = [];
  for (const field of fields) {
    const values = configs.map((c) => c[field] ?? null);
    if (new Set(values.map((v) => JSON.stringify(v))).size > 1) diff.push({ field, values });
  }
  return diff;
}

/** The records of `record`'s lineage (issue 14: its first run and the restarts), oldest first. */
function lineageRecords(layout: Layout, record: HistoryRecord): HistoryRecord[] {
  const ids = listHistory(layout, { lineage: lineageOf(record.config) })
    .map((s) => s.id)
    .reverse();
  const records = ids
    .map((id) => (id === record.runId ? record : getHistory(layout, id)))
    .filter((r) => r !== null);
  return records.length === 0 ? [record] : records;
}

/**
 * Compare the ended runs `runArgs` (ids or unique prefixes) of the workspace at `layout`.
 * RW_USAGE for fewer than two runs, a repeated one or more than `compareRunsMax`; RW_NOT_FOUND
 * for a run that has not ended (or does not exist).
 */
export function compareRuns(
  layout: Layout,
  runArgs: readonly string[],
  options: CompareOptions = {},
): Comparison {
  if (runArgs.length < 2)
    throw new RunwardenError(
      'RW_USAGE',
      'compare needs two or more runs, e.g. runwarden compare RUN_A RUN_B',
    );
  if (runArgs.length > compareRunsMax)
    throw new RunwardenError(
      'RW_USAGE',
      `compare takes at most ${compareRunsMax} runs; ${runArgs.length} given`,
    );
  const ids = runArgs.map((arg) => resolveRun(layout, arg, 'latest'));
  const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
  if (repeated !== undefined)
    throw new RunwardenError('RW_USAGE', `run ${repeated} is given twice; compare distinct runs`);
  const entries: { records: HistoryRecord[] }[] = [];
  const taken = new Set<string>();
  for (const id of ids) {
    if (taken.has(id)) continue;
    const record = getHistory(layout, id);
    if (record === null)
      throw new RunwardenError('RW_NOT_FOUND', `run ${id} has not ended yet; compare ended runs`);
    const records = lineageRecords(layout, record);
    for (const r of records) taken.add(r.runId);
    entries.push({ records });
  }
  const compared = entries.map((e) => comparedOf(e.records));
  const known = [...new Set(compared.flatMap((c) => [...c.metrics.keys()]))];
  const unknown = (options.metrics ?? []).find((m) => !known.includes(m));
  if (unknown !== undefined)
    throw new RunwardenError(
      'RW_USAGE',
      `--metric ${unknown}: no compared run reported it; ${known.length === 0 ? 'they reported none' : `metrics: ${known.join(', ')}`}`,
    );
  // The monitor's resource samples (sys/cpu, sys/rss, …) are compared only when asked for by name.
  const wanted = options.metrics ?? known.filter((m) => !m.startsWith('sys/'));
  const paramNames = [...new Set(compared.flatMap((c) => Object.keys(c.run.params)))];
  return {
    runs: compared.map((c) => c.run),
    metrics: wanted.map((name) => ({ name, values: compared.map((c) => c.metrics.get(name) ?? null) })),
    params: paramNames.map((name) => {
      const values = compared.map((c) => c.run.params[name] ?? null);
      return { name, values, differs: new Set(values.map((v) => JSON.stringify(v))).size > 1 };
    }),
    configDiff: configDiffOf(entries.map((e) => e.records.at(-1)).filter((r) => r !== undefined)),
  };
}
