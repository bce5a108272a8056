// `runwarden list`: the history of ended runs, newest first, filtered (issue 17: tag, name,
// command, exit code, time range, param) and shown in the columns asked for (a metric's final value).
import type { HistoryQuery, HistorySummary } from '../../api/history.ts';
import type { Workspace } from '../../api/workspace.ts';
import { endedHow } from '../exit-code.ts';
import { columnLine, formatDuration, formatTime, neutralize, painter, printJson, warn } from '../output.ts';
import { listColumns, type OutcomeFilter } from '../parse.ts';

export interface ListFlags {
  json?: boolean;
  limit?: number;
  outcome?: OutcomeFilter[];
  /** issue 12: active, queued or ended (default) runs. */
  state?: 'active' | 'queued' | 'ended';
  tag?: string[];
  name?: string;
  command?: string;
  exitCode?: number[];
  since?: number;
  until?: number;
  param?: Record<string, string>;
  columns?: string[];
}

const defaultColumns = ['id', 'outcome', 'started', 'duration'];
const known = new Set<string>(listColumns);

/** A column's header. */
const headOf = (column: string) => (column === 'id' ? 'RUN' : column.toUpperCase());

/** A metric's value as a cell (six significant digits). */
const metricCell = (v: number | string | undefined) =>
  v === undefined ? '-' : typeof v === 'number' ? String(Number(v.toPrecision(6))) : v;

/** One cell of a run. */
function cellOf(r: HistorySummary, column: string): string {
  switch (column) {
    case 'id':
      return r.id;
    case 'name':
      return r.name;
    case 'outcome':
      return endedHow({ ...r, reason: r.reason });
    case 'started':
      return formatTime(r.startedAt);
    case 'ended':
      return formatTime(r.endedAt);
    case 'duration':
      return r.durationMs === null ? '-' : formatDuration(r.durationMs);
    case 'exit':
      return r.exitCode === null ? (r.signal ?? '-') : String(r.exitCode);
    case 'tags':
      return (r.tags ?? []).join(',') || '-';
    case 'command':
      return neutralize(r.command ?? '-');
    case 'lineage':
      return r.lineageId ?? r.id;
    default:
      if (column.startsWith('param.')) {
        const v = r.params?.[column.slice('param.'.length)];
        return v === undefined ? '-' : neutralize(String(v));
      }
      return metricCell(r.metrics?.[column]);
  }
}

/** The history as a table, one run a line. */
function table(runs: readonly HistorySummary[], columns: readonly string[]): string {
  const p = painter(process.stdout);
  const rows = runs.map((r) => columns.map((c) => cellOf(r, c)));
  const head = columns.map(headOf);
  const line = columnLine(head, rows);
  const color = (outcome: string, text: string) =>
    outcome === 'finished' ? p.green(text) : outcome === 'failed' ? p.red(text) : p.yellow(text);
  return [p.bold(line(head)), ...rows.map((row, i) => color(runs[i]?.outcome ?? '', line(row)))].join('\n');
}

/** The history query of the flags. */
export function queryOf(flags: ListFlags): HistoryQuery {
  return {
    limit: flags.limit ?? 50,
    outcomes: flags.outcome ?? [],
    ...(flags.tag === undefined ? {} : { tags: flags.tag }),
    ...(flags.name === undefined ? {} : { name: flags.name }),
    ...(flags.command === undefined ? {} : { command: flags.command }),
    ...(flags.exitCode === undefined ? {} : { exitCodes: flags.exitCode }),
    ...(flags.since === undefined ? {} : { since: flags.since }),
    ...(flags.until === undefined ? {} : { until: flags.until }),
    ...(flags.param === undefined ? {} : { params: flags.param }),
  };
}

export async function listCommand(ws: Workspace, flags: ListFlags): Promise<number> {
  if (flags.state === 'active' || flags.state === 'queued')
    return (await import('./list-state.ts')).listStateCommand(ws, flags.state, flags);
  const query = queryOf(flags);
  const runs = await ws.list(query);
  const filtered = Object.keys(query).length > 2 || (flags.outcome ?? []).length > 0;
  if (flags.json === true) printJson(runs);
  else if (runs.length === 0)
    process.stdout.write(
      filtered ? 'no ended run matches these filters\n' : 'no runs have ended in this workspace yet\n',
    );
  else {
    const columns = flags.columns ?? defaultColumns;
    process.stdout.write(`${table(runs, columns)}\n`);
    // A mistyped metric column would only show dashes: say so.
    for (const c of columns.filter((c) => !known.has(c) && !c.startsWith('param.')))
      if (!runs.some((r) => r.metrics?.[c] !== undefined))
        warn(
          `--columns ${c}: no listed run has a metric named ${c} (columns: ${[...known].join(', ')}, param.NAME or a metric)`,
        );
  }
  return 0;
}
