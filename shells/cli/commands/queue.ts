// `runwarden queue [--json]` and its edits: pause, resume, rm RUN, move RUN --priority P,
// release RUN, hold RUN. Every edit goes through the library (claim, rewrite, publish), never
// by touching the queue's files here.
import type { QueueView } from '../../api/queue.ts';
import type { Workspace } from '../../api/workspace.ts';
import { columnLine, formatArgv, formatTime, neutralize, painter, printJson } from '../output.ts';

/** Why the whole queue starts nothing, in words, with the command that lifts it. */
export function holdLine(hold: QueueView['hold']): string | null {
  if (hold === null) return null;
  return hold.reason === 'reboot'
    ? `the queue is held since ${formatTime(hold.since)}: the machine rebooted; nothing starts until: runwarden queue resume`
    : `the queue is paused since ${formatTime(hold.since)}; nothing starts until: runwarden queue resume`;
}

/** What a waiting entry needs, short: `2 GPUs`, `1 slot`, `after a, b`, `after-ok c`. */
function needsText(needs: QueueView['entries'][number]['needs']): string {
  const parts = [needs.gpus > 0 ? `${needs.gpus} GPU${needs.gpus === 1 ? '' : 's'}` : '1 slot'];
  if (needs.after.length > 0) parts.push(`after ${needs.after.join(', ')}`);
  if (needs.afterOk.length > 0) parts.push(`after-ok ${needs.afterOk.join(', ')}`);
  return parts.join('; ');
}

/** The queue as a table, in start order. */
export function queueLines(view: QueueView): string[] {
  const p = painter(process.stdout);
  const lines: string[] = [];
  const hold = holdLine(view.hold);
  if (hold !== null) lines.push(p.yellow(hold));
  if (view.entries.length === 0) {
    lines.push('the queue is empty');
    return lines;
  }
  const head = ['POS', 'RUN', 'PRIO', 'NEEDS', 'WAITS FOR', 'COMMAND'];
  const rows = view.entries.map((e) => [
    String(e.position),
    e.runId,
    String(e.priority),
    needsText(e.needs),
    e.waitingFor.length === 0 ? '-' : e.waitingFor.join('; '),
    neutralize(formatArgv(e.argv)).slice(0, 60),
  ]);
  const line = columnLine(head, rows);
  lines.push(p.bold(line(head)));
  for (const [i, row] of rows.entries()) {
    const held = view.entries[i]?.held === true;
    lines.push(held ? p.dim(line(row)) : line(row));
  }
  return lines;
}

function printQueue(view: QueueView, json: boolean | undefined): number {
  if (json === true) printJson(view);
  else process.stdout.write(`${queueLines(view).join('\n')}\n`);
  return 0;
}

/** `runwarden queue`: the waiting runs, their position, needs and what each waits for. */
export async function queueListCommand(ws: Workspace, flags: { json?: boolean }): Promise<number> {
  return printQueue(await ws.queue(), flags.json);
}

/**
 * The queued run `arg` means: an exact id or a unique prefix among the waiting entries; anything
 * else is passed on as given (the library then says it is not queued, or already started).
 */
export function queuedRunOf(view: QueueView, arg: string): string {
  const ids = view.entries.map((e) => e.runId);
  if (ids.includes(arg)) return arg;
  const matches = ids.filter((id) => id.startsWith(arg));
  return matches.length === 1 && matches[0] !== undefined ? matches[0] : arg;
}

export type QueueEdit = 'pause' | 'resume' | 'rm' | 'move' | 'release' | 'hold';

/** One queue edit, then the queue as it is now (or, for rm, the record the removal wrote). */
export async function queueEditCommand(
  ws: Workspace,
  edit: QueueEdit,
  runArg: string | undefined,
  flags: { json?: boolean; priority?: number },
): Promise<number> {
  const runId = runArg === undefined ? '' : queuedRunOf(await ws.queue(), runArg);
  const said = (text: string) => {
    if (flags.json !== true) process.stdout.write(`${text}\n`);
  };
  switch (edit) {
    case 'pause':
      await ws.queuePause();
      said('the queue is paused: queued runs wait (running ones go on); resume with: runwarden queue resume');
      break;
    case 'resume':
      await ws.queueResume();
      said('the queue is resumed');
      break;
    case 'rm':
      await ws.queueRemove(runId);
      said(`run ${runId} removed from the queue (recorded aborted: removed-from-queue)`);
      break;
    case 'move':
      await ws.queueMove(runId, flags.priority ?? 0);
      said(`run ${runId} now has priority ${flags.priority ?? 0}`);
      break;
    case 'release':
      await ws.queueRelease(runId);
      said(`run ${runId} released: it starts in its turn`);
      break;
    case 'hold':
      await ws.queueHold(runId);
      said(`run ${runId} held: it waits until: runwarden queue release ${runId}`);
      break;
  }
  const view = await ws.queue();
  if (flags.json === true) printJson(view);
  return 0;
}
