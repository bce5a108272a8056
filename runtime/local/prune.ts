// Deleting ended runs' directories on purpose (issue 14): nothing is deleted by default, `prune`
// deletes what a policy names, oldest ended first, and never a live run's directory or the one
// holding the newest checkpoint of a run that can still be resumed. History records stay.
import { lstatSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Result } from '../../machine/ports.ts';
import type { Outcome } from '../../machine/types.ts';
import { confinedDir, isLexicallyInside } from '../fs/confined.ts';
import { durableStep } from '../fs/durable-step.ts';
import { errnoOf, failure, success } from '../fs/fs-error.ts';
import { readJsonFile } from '../fs/read-json.ts';
import { getHistory, type HistorySummary, listHistory } from './history-store.ts';
import type { Layout } from './layout.ts';
import { readLock } from './lock-file.ts';

/** What `prune` may delete. Filters combine (all must hold); a budget then picks oldest first. */
export interface PrunePolicy {
  /** Only runs that ended so (default: any outcome). */
  readonly outcomes?: readonly Outcome[];
  /** Only runs that ended at least this long ago. */
  readonly olderThanMs?: number;
  /** Keep the newest N ended runs (of those the outcome filter names) whatever else holds. */
  readonly keepLast?: number;
  /**
   * Delete (oldest ended first) only until the workspace's run directories use at most this many
   * bytes; null/absent: delete everything the filters name.
   */
  readonly budgetBytes?: number | null;
  /** Say what would be freed, delete nothing. */
  readonly dryRun?: boolean;
  /** Epoch ms (tests pass their own). */
  readonly now?: number;
}

/** One ended run with a directory, and what prune did or would do with it. */
export interface PruneItem {
  readonly runId: string;
  readonly outcome: Outcome;
  readonly endedAt: number;
  readonly bytes: number;
  readonly dir: string;
  /** Why it is kept (absent for a deleted run). */
  readonly keptBecause?: string;
}

/** What a prune did (or, dry, would do). */
export interface PruneReport {
  readonly dryRun: boolean;
  readonly deleted: readonly PruneItem[];
  /** Runs the filters named that were kept anyway, with the reason (protected, budget met). */
  readonly kept: readonly PruneItem[];
  readonly freedBytes: number;
  /** Bytes of all run directories (live ones included) before and after. */
  readonly usedBytesBefore: number;
  readonly usedBytesAfter: number;
  readonly budgetBytes: number | null;
  /** Directories that could not be deleted, each naming the path and the fix. */
  readonly errors: readonly string[];
}

/** The workspace settings file prune reads `diskBudgetBytes` from (shared with the queue's slots). */
export function workspaceSettingsPath(layout: Layout): string {
  return join(layout.root, 'workspace.json');
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/**
 * The workspace's disk budget (`diskBudgetBytes` in <ws>/workspace.json), or null when unset.
 * RW_CONFIG_INVALID naming the file when it is corrupt or the value is not a positive integer.
 */
export function readDiskBudget(layout: Layout): Result<number | null> {
  const path = workspaceSettingsPath(layout);
  const read = readJsonFile(layout.root, path, isObject);
  if (!read.ok) return read;
  if (read.value.state === 'missing') return success(null);
  if (read.value.state === 'corrupt')
    return failure('RW_CONFIG_INVALID', `${path} is unreadable (${read.value.detail}); fix or remove it`);
  const budget = read.value.value.diskBudgetBytes;
  if (budget === undefined || budget === null) return success(null);
  if (typeof budget !== 'number' || !Number.isSafeInteger(budget) || budget < 1)
    return failure(
      'RW_CONFIG_INVALID',
      `${path}: diskBudgetBytes must be a positive whole number of bytes, not ${JSON.stringify(budget)}`,
    );
  return success(budget);
}

/** Bytes under `path` (files and directories, symlinks counted as links: never followed). */
export function treeBytes(path: string): number {
  let total = 0;
  const stack = [path];
  // A bound on entries walked, so a pathological tree cannot hang a prune.
  for (let walked = 0; stack.length > 0 && walked < 5_000_000; walked++) {
    const p = stack.pop() as string;
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(p);
    } catch {
      continue;
    }
    total += st.blocks * 512 || st.size;
    if (!st.isDirectory()) continue;
    try {
      for (const name of readdirSync(p)) stack.push(join(p, name));
    } catch {
      // unreadable directory: counted as itself only
    }
  }
  return total;
}

/**
 * Delete an ended run's directory, first moving its lifecycle journal beside its history record
 * (replays survive). The one way a run directory is removed (retention and prune).
 */
export function deleteRunDir(layout: Layout, runId: string): Result<null> {
  const dir = layout.runDir(runId);
  const historyDir = confinedDir(layout.root, layout.historyDir);
  const runDir = confinedDir(layout.root, dir);
  if (!historyDir.ok) return historyDir;
  if (!runDir.ok) return runDir;
  try {
    durableStep('rename', layout.historyJournal(runId));
    renameSync(layout.runFile(runId, 'lifecycle'), layout.historyJournal(runId));
  } catch {
    // no journal (a run that never reached a machine that writes one): nothing to keep
  }
  try {
    durableStep('rm', dir);
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch (error) {
    return failure('RW_RETENTION_FAILED', `deleting ${dir}: ${errnoOf(error)}; delete it by hand`);
  }
  return success(null);
}

/** Runs that are live or being finalised: the lock's run and every claimed lock's run. */
function liveRunIds(layout: Layout): Set<string> {
  const ids = new Set<string>();
  const lock = readLock(layout.lock);
  if (lock.ok && lock.value.state === 'ok') ids.add(lock.value.value.runId);
  let names: string[] = [];
  try {
    names = readdirSync(layout.root);
  } catch {
    return ids;
  }
  for (const name of names) {
    if (!name.startsWith(layout.claimPrefix)) continue;
    const claim = readLock(join(layout.root, name));
    if (claim.ok && claim.value.state === 'ok') ids.add(claim.value.value.runId);
  }
  return ids;
}

/** Outcomes after which a run can be resumed from its checkpoint. */
const resumableOutcomes: readonly Outcome[] = ['failed', 'aborted', 'orphaned', 'suspended'];

/**
 * Why `summary`'s directory must stay: it holds the newest checkpoint of a run that can be
 * resumed (its record names a checkpoint inside the directory and no later run of its lineage
 * continued from it). Null when it may go.
 */
function protectedBecause(
  layout: Layout,
  summary: HistorySummary,
  resumedParents: Set<string>,
): string | null {
  if (!resumableOutcomes.includes(summary.outcome)) return null;
  if (resumedParents.has(summary.id)) return null;
  const record = getHistory(layout, summary.id);
  const checkpoint = record?.checkpoint?.path ?? record?.progress?.lastCheckpoint?.path ?? null;
  if (checkpoint === null) return null;
  const dir = layout.runDir(summary.id);
  const inside = isLexicallyInside(dir, checkpoint.startsWith('/') ? checkpoint : join(dir, checkpoint));
  return inside ? `holds the newest checkpoint of a resumable run (${checkpoint})` : null;
}

/**
 * Prune ended runs' directories by `policy`. Oldest ended first; never a live run, never a run
 * without a history record, never the newest checkpoint of a resumable run. Dry: nothing deleted.
 */
export function pruneRuns(layout: Layout, policy: PrunePolicy): PruneReport {
  const now = policy.now ?? Date.now();
  const live = liveRunIds(layout);
  const summaries = listHistory(layout); // newest recorded first
  const resumedParents = new Set<string>();
  for (const s of summaries) {
    const parent = s.parentId;
    if (typeof parent === 'string') resumedParents.add(parent);
  }
  const withDir = summaries.filter((s) => !live.has(s.id) && dirExists(layout.runDir(s.id)));
  const outcomeOk = (s: HistorySummary) =>
    policy.outcomes === undefined || policy.outcomes.length === 0 || policy.outcomes.includes(s.outcome);
  const byOutcome = withDir.filter(outcomeOk);
  const keptNewest = new Set(byOutcome.slice(0, policy.keepLast ?? 0).map((s) => s.id));
  const item = (s: HistorySummary, keptBecause?: string): PruneItem => ({
    runId: s.id,
    outcome: s.outcome,
    endedAt: s.endedAt,
    bytes: treeBytes(layout.runDir(s.id)),
    dir: layout.runDir(s.id),
    ...(keptBecause === undefined ? {} : { keptBecause }),
  });
  const kept: PruneItem[] = [];
  const candidates: PruneItem[] = [];
  for (const s of byOutcome) {
    if (policy.olderThanMs !== undefined && s.endedAt > now - policy.olderThanMs) continue;
    if (keptNewest.has(s.id)) {
      kept.push(item(s, `one of the newest ${policy.keepLast} (--keep-last)`));
      continue;
    }
    const why = protectedBecause(layout, s, resumedParents);
    if (why !== null) kept.push(item(s, why));
    else candidates.push(item(s));
  }
  candidates.sort((a, b) => a.endedAt - b.endedAt || a.runId.localeCompare(b.runId));
  const usedBytesBefore = workspaceRunBytes(layout, summaries, live);
  const budget = policy.budgetBytes ?? null;
  const dryRun = policy.dryRun === true;
  let used = usedBytesBefore;
  const deleted: PruneItem[] = [];
  const errors: string[] = [];
  for (const c of candidates) {
    if (budget !== null && used <= budget) {
      kept.push({ ...c, keptBecause: 'the disk budget is met' });
      continue;
    }
    if (!dryRun) {
      const removed = deleteRunDir(layout, c.runId);
      if (!removed.ok) {
        errors.push(removed.error.message);
        continue;
      }
    }
    deleted.push(c);
    used -= c.bytes;
  }
  const freedBytes = deleted.reduce((n, d) => n + d.bytes, 0);
  return {
    dryRun,
    deleted,
    kept,
    freedBytes,
    usedBytesBefore,
    usedBytesAfter: usedBytesBefore - freedBytes,
    budgetBytes: budget,
    errors,
  };
}

function dirExists(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Bytes of every run directory of the workspace: the ended ones and the live ones. */
function workspaceRunBytes(layout: Layout, summaries: readonly HistorySummary[], live: Set<string>): number {
  const ids = new Set([...summaries.map((s) => s.id), ...live]);
  let total = 0;
  for (const id of ids) if (dirExists(layout.runDir(id))) total += treeBytes(layout.runDir(id));
  return total;
}
