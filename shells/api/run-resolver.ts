// Which run a user means: an exact id or a unique prefix, checked against an allowlist pattern
// (never a path), among the active run, the run directories and the history.
import { existsSync, readdirSync } from 'node:fs';
import { confinedDir } from '../../runtime/fs/confined.ts';
import { hasHistory, listHistory, recordIds } from '../../runtime/local/history-store.ts';
import { activeRunId } from '../../runtime/local/inspect.ts';
import { type Layout, reservedDirNames, runIdPattern } from '../../runtime/local/layout.ts';
import { readLock } from '../../runtime/local/lock-file.ts';
import { occupancyOf } from '../../runtime/local/queue-ports.ts';
import { listQueue } from '../../runtime/local/queue-store.ts';
import { readSlots } from '../../runtime/local/workspace-config.ts';
import { RunwardenError } from './errors.ts';

/**
 * The run a user means: an exact id or a unique prefix of one (active run, run directories,
 * history). Without `arg`: the active run, or for 'latest' the newest ended run if none is
 * active. RW_USAGE for an invalid or ambiguous id, RW_NOT_FOUND when nothing matches.
 */
export function resolveRun(layout: Layout, arg: string | undefined, fallback: 'active' | 'latest'): string {
  const active = readLock(layout.lock);
  // An unreadable lock may still belong to a live run: find it through its run directory.
  const slot0Id =
    active.ok && active.value.state === 'ok'
      ? active.value.value.runId
      : active.ok && active.value.state === 'corrupt'
        ? activeRunId(layout, Date.now())
        : null;
  // Issue 12: the runs of the other slots, and the queued ones, are runs a user may name.
  const others = otherSlotRuns(layout);
  const actives = [...new Set([...(slot0Id === null ? [] : [slot0Id]), ...others])];
  const activeId = actives[0] ?? null;
  if (arg === undefined && actives.length > 1) {
    throw new RunwardenError(
      'RW_AMBIGUOUS',
      `several runs are active: ${actives.slice(0, 10).join(', ')}${actives.length > 10 ? ', …' : ''}; name one`,
    );
  }
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
  if (
    actives.includes(arg) ||
    hasHistory(layout, arg) ||
    (!reservedDirNames.has(arg) && hasRunDir(layout, arg))
  )
    return arg;
  const queued = listQueue(layout);
  const queuedIds = [...queued.entries.map((e) => e.runId), ...queued.claimed.map((c) => c.runId)];
  if (queuedIds.includes(arg)) return arg;
  const known = new Set([...actives, ...queuedIds, ...runDirIds(layout.root), ...recordIds(layout)]);
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

/** The runs holding slots other than slot 0 (issue 12), from their locks; none without slot configuration. */
function otherSlotRuns(layout: Layout): string[] {
  if (!existsSync(layout.workspaceConfig)) return [];
  const slots = readSlots(layout);
  if (!slots.ok) return [];
  return occupancyOf(
    layout.root,
    slots.value.filter((s) => s.index > 0),
  )
    .flatMap((o) => o.runIds)
    .filter((id) => id !== '');
}
