// `runwarden tag RUN +best -draft` (issue 17): add and remove tags of an ended run, durably;
// without changes, print its tags.
import { RunwardenError } from '../../api/errors.ts';
import { editTags } from '../../api/run-card.ts';
import { tagEditOf } from '../../api/run-meta.ts';
import type { Workspace } from '../../api/workspace.ts';
import { printJson } from '../output.ts';
import { notice } from '../recovery-notes.ts';

/** The ended run `runArg` names, recovering first (a run that ended unwatched gets its record). */
export async function endedRun(ws: Workspace, runArg: string, json: boolean, verb: string) {
  for (const note of await ws.recover()) if (!json) notice(note);
  const runId = ws.resolveRun(runArg, 'latest');
  const record = ws.history(runId);
  if (record === null)
    throw new RunwardenError(
      'RW_NOT_FOUND',
      `run ${runId} has not ended yet; ${verb} it once it ended (or give --tag/--note at start)`,
    );
  return record;
}

export async function tagCommand(
  ws: Workspace,
  runArg: string,
  words: readonly string[],
  flags: { json?: boolean },
): Promise<number> {
  const json = flags.json === true;
  const record = await endedRun(ws, runArg, json, 'tag');
  const now = words.length === 0 ? record : await editTags(ws.layout, record.runId, tagEditOf(words));
  const tags = now.tags ?? now.config.tags ?? [];
  if (json) printJson({ id: now.runId, tags });
  else process.stdout.write(`${now.runId}: ${tags.length === 0 ? '(no tags)' : tags.join(', ')}\n`);
  return 0;
}
