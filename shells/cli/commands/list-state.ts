// `runwarden list --state active|queued` (issue 12): the running runs (every slot) or the waiting
// ones; `--state ended` (the default) is the history, in list.ts.
import { statusJson } from '../../api/view-json.ts';
import type { Workspace } from '../../api/workspace.ts';
import { formatArgv, formatDuration, formatTime, neutralize, painter, printJson } from '../output.ts';
import { queueLines } from './queue.ts';

/** The active or the queued runs, as a table or JSON (`runs` of status, `entries` of the queue). */
export async function listStateCommand(
  ws: Workspace,
  state: 'active' | 'queued',
  flags: { json?: boolean; limit?: number },
): Promise<number> {
  const limit = flags.limit ?? 50;
  if (state === 'queued') {
    const view = await ws.queue();
    const entries = view.entries.slice(0, limit);
    if (flags.json === true) printJson(entries);
    else process.stdout.write(`${queueLines({ ...view, entries }).join('\n')}\n`);
    return 0;
  }
  const view = await ws.status();
  const runs = (statusJson(view).runs ?? (view.run === null ? [] : [view.run])).slice(0, limit);
  if (flags.json === true) {
    printJson(runs);
    return 0;
  }
  if (runs.length === 0) {
    process.stdout.write('no run is active in this workspace\n');
    return 0;
  }
  const slotOf = new Map<string, string[]>();
  for (const slot of view.slots ?? [])
    if (slot.runId !== null) slotOf.set(slot.runId, [...(slotOf.get(slot.runId) ?? []), slot.name]);
  const now = Date.now();
  const head = ['RUN', 'SLOTS', 'PID', 'STARTED', 'ELAPSED', 'COMMAND'];
  const rows = runs.map((r) => [
    r.id,
    (slotOf.get(r.id) ?? []).join(',') || '-',
    r.pid === null ? '-' : String(r.pid),
    formatTime(r.startedAt),
    r.startedAt === null ? '-' : formatDuration(Math.max(0, now - r.startedAt)),
    neutralize(formatArgv(r.argv)).slice(0, 60),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${[painter(process.stdout).bold(line(head)), ...rows.map(line)].join('\n')}\n`);
  return 0;
}
