// `runwarden note RUN TEXT…` (issue 17): replace an ended run's note (--clear removes it);
// without text, print it.
import { RunwardenError } from '../../api/errors.ts';
import { editNote } from '../../api/run-card.ts';
import type { Workspace } from '../../api/workspace.ts';
import { neutralize, printJson } from '../output.ts';
import { endedRun } from './tag.ts';

export async function noteCommand(
  ws: Workspace,
  runArg: string,
  words: readonly string[],
  flags: { json?: boolean; clear?: boolean },
): Promise<number> {
  const json = flags.json === true;
  if (flags.clear === true && words.length > 0)
    throw new RunwardenError('RW_USAGE', 'note: give either a text or --clear, not both');
  const record = await endedRun(ws, runArg, json, 'note');
  const text = words.join(' ');
  const now =
    flags.clear === true || words.length > 0
      ? await editNote(ws.layout, record.runId, flags.clear === true ? '' : text)
      : record;
  const note = now.note !== undefined ? now.note : (now.config.note ?? null);
  if (json) printJson({ id: now.runId, note });
  else process.stdout.write(`${now.runId}: ${note === null ? '(no note)' : neutralize(note)}\n`);
  return 0;
}
