// `runwarden list --state active|queued` (issue 12): the running runs (every slot) or the waiting
// ones, from the library's `runs()`; `--state ended` (the default) is the history, in list.ts.
import type { Workspace } from '../../api/workspace.ts';
import { columnLine, formatDuration, formatTime, painter, printJson } from '../output.ts';

/** The active or the queued runs, as a table or JSON (the library's `ListedRun`s). */
export async function listStateCommand(
  ws: Workspace,
  state: 'active' | 'queued',
  flags: { json?: boolean; limit?: number },
): Promise<number> {
  const runs = await ws.runs({ state, limit: flags.limit ?? 50 });
  if (flags.json === true) {
    printJson(runs);
    return 0;
  }
  if (runs.length === 0) {
    process.stdout.write(
      state === 'active' ? 'no run is active in this workspace\n' : 'the queue is empty\n',
    );
    return 0;
  }
  const now = Date.now();
  const head =
    state === 'active' ? ['RUN', 'SLOTS', 'STARTED', 'ELAPSED'] : ['POS', 'RUN', 'SUBMITTED', 'WAITS FOR'];
  const rows = runs.map((r) =>
    r.state === 'active'
      ? [
          r.id,
          r.slots.join(','),
          formatTime(r.startedAt),
          r.startedAt === null ? '-' : formatDuration(Math.max(0, now - r.startedAt)),
        ]
      : r.state === 'queued'
        ? [String(r.position), r.id, formatTime(r.submittedAt), r.waitingFor.join('; ') || '-']
        : [r.id],
  );
  const line = columnLine(head, rows);
  process.stdout.write(`${[painter(process.stdout).bold(line(head)), ...rows.map(line)].join('\n')}\n`);
  return 0;
}
