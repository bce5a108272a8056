// `runwarden compare A B [C…] [--metric loss] [--json]` (issue 17): ended runs side by side.
import { type ComparedMetric, type Comparison, compareRuns } from '../../api/compare.ts';
import type { Workspace } from '../../api/workspace.ts';
import { endedHow } from '../exit-code.ts';
import { formatDuration, neutralize, painter, printJson } from '../output.ts';
import { notice } from '../recovery-notes.ts';

const num = (v: number | string) => (typeof v === 'number' ? String(Number(v.toPrecision(6))) : v);
const at = (v: { step: number | null; n: number }) => (v.step === null ? `#${v.n}` : `step ${v.step}`);

/** A metric's cell for one statistic. */
function statCell(m: ComparedMetric | null, which: 'last' | 'min' | 'max'): string {
  if (m === null) return '-';
  const v = m[which];
  if (v === null) return '-';
  return `${num(v.value)} (${at(v)})${m.exact ? '' : ' ~'}`;
}

/** A value of any kind as one short cell. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return neutralize(text.length > 60 ? `${text.slice(0, 59)}…` : text);
}

/** The comparison as a table: one column per run, one row per fact. */
export function comparisonLines(c: Comparison): string[] {
  const p = painter(process.stdout);
  const rows: [string, string, string[]][] = [];
  const runs = c.runs;
  rows.push([
    'outcome',
    '',
    runs.map((r) => `${endedHow(r)}${r.durationMs === null ? '' : ` after ${formatDuration(r.durationMs)}`}`),
  ]);
  if (runs.some((r) => r.members.length > 1))
    rows.push([
      'lineage',
      '',
      runs.map((r) => (r.members.length > 1 ? `${r.members.length} runs: ${r.members.join(', ')}` : '-')),
    ]);
  rows.push([
    'git',
    '',
    runs.map((r) =>
      r.git === null
        ? '-'
        : `${r.git.commit.slice(0, 12)}${r.git.branch === null ? '' : ` ${r.git.branch}`}${r.git.dirty ? ' dirty' : ''}`,
    ),
  ]);
  if (runs.some((r) => r.tags.length > 0)) rows.push(['tags', '', runs.map((r) => r.tags.join(',') || '-')]);
  for (const param of c.params)
    rows.push([param.differs ? 'param*' : 'param', param.name, param.values.map(cell)]);
  for (const metric of c.metrics)
    for (const which of ['last', 'min', 'max'] as const)
      rows.push([
        which === 'last' ? 'metric' : '',
        which === 'last' ? `${metric.name} last` : which,
        metric.values.map((m) => statCell(m, which)),
      ]);
  for (const d of c.configDiff) rows.push(['config*', d.field, d.values.map(cell)]);
  const head = ['', '', ...runs.map((r) => r.id)];
  const table = [head, ...rows.map(([a, b, values]) => [a, b, ...values])];
  const widths = head.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((x, i) => x.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const lines = [p.bold(line(head)), ...rows.map(([a, b, values]) => line([a, b, ...values]))];
  if (c.metrics.some((m) => m.values.some((v) => v !== null && !v.exact)))
    lines.push(
      "~: from the record's kept series (the run predates exact statistics or its metric was parsed from logs)",
    );
  if (c.params.some((x) => x.differs) || c.configDiff.length > 0) lines.push('*: differs between the runs');
  return lines;
}

export async function compareCommand(
  ws: Workspace,
  runArgs: readonly string[],
  flags: { json?: boolean; metric?: string[] },
): Promise<number> {
  for (const note of await ws.recover()) if (flags.json !== true) notice(note);
  const comparison = compareRuns(
    ws.layout,
    runArgs,
    flags.metric === undefined ? {} : { metrics: flags.metric },
  );
  if (flags.json === true) printJson(comparison);
  else process.stdout.write(`${comparisonLines(comparison).join('\n')}\n`);
  return 0;
}
