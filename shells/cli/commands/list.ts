// `runwarden list`: the history of ended runs, newest first.
import type { HistorySummary } from '../../api/history.ts';
import type { Workspace } from '../../api/workspace.ts';
import { endedHow } from '../exit-code.ts';
import { formatDuration, formatTime, painter, printJson } from '../output.ts';
import type { OutcomeFilter } from '../parse.ts';

export interface ListFlags {
  json?: boolean;
  limit?: number;
  outcome?: OutcomeFilter[];
  /** issue 12: active, queued or ended (default) runs. */
  state?: 'active' | 'queued' | 'ended';
}

/** The history as a table, one run a line. */
function table(runs: readonly HistorySummary[]): string {
  const p = painter(process.stdout);
  const rows = runs.map((r) => [
    r.id,
    endedHow({ ...r, reason: r.reason }),
    formatTime(r.startedAt),
    r.durationMs === null ? '-' : formatDuration(r.durationMs),
  ]);
  const head = ['RUN', 'OUTCOME', 'STARTED', 'DURATION'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const color = (outcome: string, text: string) =>
    outcome === 'finished' ? p.green(text) : outcome === 'failed' ? p.red(text) : p.yellow(text);
  return [p.bold(line(head)), ...rows.map((row, i) => color(runs[i]?.outcome ?? '', line(row)))].join('\n');
}

export async function listCommand(ws: Workspace, flags: ListFlags): Promise<number> {
  if (flags.state === 'active' || flags.state === 'queued')
    return (await import('./list-state.ts')).listStateCommand(ws, flags.state, flags);
  const runs = await ws.list({ limit: flags.limit ?? 50, outcomes: flags.outcome ?? [] });
  if (flags.json === true) printJson(runs);
  else if (runs.length === 0) process.stdout.write('no runs have ended in this workspace yet\n');
  else process.stdout.write(`${table(runs)}\n`);
  return 0;
}
