// Deleting ended runs' directories on purpose (issue 14). Nothing is deleted by default: a
// prune names what goes (outcomes, age, the newest N kept, a disk budget), says what it frees,
// and never touches a live run or the newest checkpoint of a run that can be resumed.
import type { Outcome } from '../../machine/types.ts';
import { type PruneItem, type PruneReport, pruneRuns, readDiskBudget } from '../../runtime/local/prune.ts';
import { RunwardenError } from './errors.ts';
import type { Workspace } from './workspace.ts';

export type { PruneItem, PruneReport };

/** What `pruneWorkspace` deletes. Filters combine; a budget then deletes oldest ended first. */
export interface PruneOptions {
  /** Only runs that ended so (default: any outcome). */
  readonly outcomes?: readonly Outcome[];
  /** Only runs that ended at least this long ago (ms). */
  readonly olderThanMs?: number;
  /** Keep the newest N ended runs whatever else holds. */
  readonly keepLast?: number;
  /**
   * Delete only until the run directories use at most this many bytes (oldest ended first).
   * Default: the workspace's `diskBudgetBytes` (in <ws>/workspace.json), if set.
   */
  readonly budgetBytes?: number;
  /** Say what would be freed; delete nothing. */
  readonly dryRun?: boolean;
}

/**
 * Delete ended runs' directories by `options` (after recovering, so unwatched ends count). Their
 * history records stay (`list`, `show`, and `logs --stderr` from the record's tail). RW_USAGE when
 * nothing names what to prune; RW_CONFIG_INVALID when the workspace's budget is invalid.
 */
export async function pruneWorkspace(ws: Workspace, options: PruneOptions): Promise<PruneReport> {
  const budget = options.budgetBytes ?? configuredBudget(ws);
  const named =
    (options.outcomes?.length ?? 0) > 0 ||
    options.olderThanMs !== undefined ||
    options.keepLast !== undefined ||
    budget !== null;
  if (!named)
    throw new RunwardenError(
      'RW_USAGE',
      'prune needs a policy: pass --outcome, --older-than, --keep-last or --budget (or set diskBudgetBytes in workspace.json)',
    );
  if (options.keepLast !== undefined && (!Number.isSafeInteger(options.keepLast) || options.keepLast < 0))
    throw new RunwardenError('RW_USAGE', `keepLast must be a whole number >= 0, not ${options.keepLast}`);
  await ws.status();
  return pruneRuns(ws.layout, {
    ...(options.outcomes === undefined ? {} : { outcomes: options.outcomes }),
    ...(options.olderThanMs === undefined ? {} : { olderThanMs: options.olderThanMs }),
    ...(options.keepLast === undefined ? {} : { keepLast: options.keepLast }),
    budgetBytes: budget,
    dryRun: options.dryRun === true,
  });
}

/** The workspace's disk budget in bytes (`diskBudgetBytes` in <ws>/workspace.json), or null. */
export function configuredBudget(ws: Workspace): number | null {
  const read = readDiskBudget(ws.layout);
  if (!read.ok) throw RunwardenError.of(read.error);
  return read.value;
}
