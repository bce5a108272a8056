// Which run a user means: an exact id or a unique prefix, checked against an allowlist pattern
// (never a path), among the active run, the run directories and the history.
import { readdirSync } from 'node:fs';
import { confinedDir } from '../../runtime/fs/confined.ts';
import { hasHistory, listHistory, recordIds } from '../../runtime/local/history-store.ts';
import { activeRunId } from '../../runtime/local/inspect.ts';
import { type Layout, reservedDirNames, runIdPattern } from '../../runtime/local/layout.ts';
import { readLock } from '../../runtime/local/lock-file.ts';
import { RunwardenError } from './errors.ts';

/**
 * The run a user means: an exact id or a unique prefix of one (active run, run directories,
 * history). Without `arg`: the active run, or for 'latest' the newest ended run if none is
 * active. RW_USAGE for an invalid or ambiguous id, RW_NOT_FOUND when nothing matches.
 */
export function resolveRun(layout: Layout, arg: string | undefined, fallback: 'active' | 'latest'): string {
  const active = readLock(layout.lock);
  // An unreadable lock may still belong to a live run: find it through its run directory.
  const activeId =
    active.ok && active.value.state === 'ok'
      ? active.value.value.runId
      : active.ok && active.value.state === 'corrupt'
        ? activeRunId(layout, Date.now())
        : null;
  if (arg === undefined) {
    const latest =
      fallback === 'latest' ? (activeId ?? listHistory(layout, { limit: 1 })[0]?.id ?? null) : activeId;
    if (latest === null) {
      throw new RunwardenError(
        'RW_NOT_FOUND',
        `no ${fallback === 'latest' ? '' : 'active '}run in ${layout.root}`,
      );
    }
    return latest;
  }
  if (!runIdPattern.test(arg)) {
    throw new RunwardenError(
      'RW_USAGE',
      `invalid run id '${arg}': run ids contain only letters, digits, '.', '-' and '_'`,
    );
  }
  // An exact id costs one look each, whatever the size of the history; a prefix lists.
  if (arg === activeId || hasHistory(layout, arg) || (!reservedDirNames.has(arg) && hasRunDir(layout, arg)))
    return arg;
  const known = new Set([
    ...(activeId === null ? [] : [activeId]),
    ...runDirIds(layout.root),
    ...recordIds(layout),
  ]);
  if (known.has(arg)) return arg;
  const matches = [...known].filter((id) => id.startsWith(arg)).sort();
  if (matches.length === 1 && matches[0] !== undefined) return matches[0];
  if (matches.length > 1) {
    throw new RunwardenError(
      'RW_USAGE',
      `run id '${arg}' is ambiguous: ${matches.slice(0, 5).join(', ')}${matches.length > 5 ? ', …' : ''}`,
    );
  }
  throw new RunwardenError('RW_NOT_FOUND', `no run '${arg}' in ${layout.root}`);
}

/** True when `runId` has a run directory in the workspace (confined: a symlink is not one). */
function hasRunDir(layout: Layout, runId: string): boolean {
  const dir = confinedDir(layout.root, layout.runDir(runId));
  return dir.ok && dir.value !== 'missing';
}

/** Ids of the run directories in a workspace. */
function runDirIds(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !reservedDirNames.has(e.name) && runIdPattern.test(e.name))
      .map((e) => e.name);
  } catch {
    return [];
  }
}
