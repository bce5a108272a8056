// Which run a command without RUN means once a workspace runs several at once (issue 12): the
// single active run, or, when several are active, one line naming them (exit 2), never a guess.

import { RunwardenError } from '../api/errors.ts';
import type { RecoveryNote } from '../api/index.ts';
import type { Workspace } from '../api/workspace.ts';

/** The active runs' ids as status sees them (every slot), oldest start first; `onNotes` gets what recovery did. */
export async function activeRunIds(
  ws: Workspace,
  onNotes: (notes: readonly RecoveryNote[]) => void = () => {},
): Promise<string[]> {
  const view = await ws.status();
  onNotes(view.recovered);
  return [...view.runs].sort((a, b) => (a.startedAt ?? 0) - (b.startedAt ?? 0)).map((r) => r.id);
}

/** The error for a command without RUN while several runs are active. */
export function severalActive(ids: readonly string[], command: string): RunwardenError {
  return new RunwardenError(
    'RW_AMBIGUOUS',
    `several runs are active: ${ids.join(', ')}; name one (runwarden ${command} RUN)`,
  );
}

/**
 * The run `arg` names (id or unique prefix, as `resolveRun`), or without `arg` the single active
 * run: undefined when none is active (the command keeps its own fallback, e.g. the latest run),
 * RW_AMBIGUOUS (exit 2) when several are. The recovery this look did is handed to `onNotes` (a
 * command that reports recovery, like `show`, would otherwise find nothing left to report).
 */
export async function chooseRun(
  ws: Workspace,
  arg: string | undefined,
  command: string,
  fallback: 'active' | 'latest' = 'active',
  onNotes?: (notes: readonly RecoveryNote[]) => void,
): Promise<string | undefined> {
  if (arg !== undefined) return ws.resolveRun(arg, fallback);
  const ids = await activeRunIds(ws, onNotes);
  if (ids.length > 1) throw severalActive(ids, command);
  return ids[0];
}
