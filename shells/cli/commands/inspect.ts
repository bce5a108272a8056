import { eventLabel } from '../../../machine/mermaid.ts';
import { RunwardenError } from '../../api/errors.ts';
import { type JournalEntry, journalPath, readJournal } from '../../api/journal.ts';
import type { Workspace } from '../../api/workspace.ts';
import { painter, printJson } from '../output.ts';
import { notice } from '../recovery-notes.ts';

/** `12:03:04.120  live.running.healthy --process.exited(code 3)--> claiming   [pid 4242]` */
export function timelineLine(e: JournalEntry): string {
  const p = painter(process.stdout);
  const time = e.t.slice(11, 23);
  const event = `${eventLabel(e.event)}${e.detail === null ? '' : `(${e.detail})`}`;
  return `${p.dim(time)}  ${e.from ?? '(boot)'} --${p.cyan(event)}--> ${p.bold(e.to)}   ${p.dim(`[pid ${e.pid}]`)}`;
}

export async function inspectCommand(
  ws: Workspace,
  runArg: string | undefined,
  flags: { json?: boolean },
): Promise<number> {
  // Recover first (as status does): the journal then includes how an unwatched end was recorded.
  for (const note of await ws.recover()) if (flags.json !== true) notice(note);
  const runId = ws.resolveRun(runArg, 'latest');
  const entries = readJournal(journalPath(ws.layout, runId));
  if (entries.length === 0) {
    const gone = ws.history(runId) !== null;
    throw new RunwardenError(
      'RW_NOT_FOUND',
      gone
        ? `run ${runId} has no journal (it ended before journals were kept); see what remains with: runwarden show ${runId}`
        : `run ${runId} has no lifecycle journal yet`,
    );
  }
  if (flags.json === true) printJson(entries);
  else process.stdout.write(`${entries.map(timelineLine).join('\n')}\n`);
  return 0;
}
