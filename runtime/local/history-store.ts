// The workspace history: one record per ended run (`history/<id>.json`, published exactly once)
// and a summary index (`history.ndjson`, one line per record in the order they were published)
// that `list` reads from its end: the newest N cost the same with 100k ended runs as with 1k.
//
// Keeping the index true without listing `history/`: the record is published first, then its
// line appended. A crash between the two leaves the run's claim on disk, so the next runwarden
// process finalises the run again; `recordHistory` then finds the record there and appends the
// missing line (after looking for it in the index's tail). A deleted index is rebuilt from
// `history/` (one listing) by the next reader.
import { mkdirSync, statSync } from 'node:fs';
import type { Result } from '../../machine/ports.ts';
import type { HistoryEntry } from '../../machine/types.ts';
import { createFileExclusive, writeFileAtomic } from '../fs/atomic-write.ts';
import { closeQuietly, unlinkQuietly } from '../fs/cleanup.ts';
import { listConfinedDir, openConfined } from '../fs/confined.ts';
import { errnoOf, failure, success } from '../fs/fs-error.ts';
import { appendLine } from '../fs/ndjson-append.ts';
import { readNdjsonBackward } from '../fs/ndjson-backward.ts';
import { publishExclusive } from '../fs/publish-exclusive.ts';
import { readJsonFile } from '../fs/read-json.ts';
import { readCheckpointFacts } from './checkpoint-control.ts';
import { finalViewOf } from './final-view.ts';
import {
  type HistoryQuery,
  type HistoryRecord,
  type HistorySummary,
  type RecordFacts,
  rawLineFilter,
  rawLineId,
  summaryFilter,
  summaryOf,
} from './history-summary.ts';
import type { Layout } from './layout.ts';
import { type RunCard, readRunCard } from './run-card.ts';
import { runFactsOf } from './run-facts.ts';

export type { HistoryQuery, HistoryRecord, HistorySummary, RecordFacts };
export { summaryOf };

/**
 * Write the run's history record with its final view, exactly once: a second call for the
 * same run (a recoverer after a crash, a concurrent finaliser) finds it there and succeeds.
 */
export function recordHistory(layout: Layout, entry: HistoryEntry): Result<null> {
  try {
    mkdirSync(layout.historyDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    return failure('RW_HISTORY_FAILED', `creating ${layout.historyDir}: ${errnoOf(error)}`);
  }
  const facts = runFactsOf(layout, entry.runId, entry.config.params ?? {});
  const record: HistoryRecord = {
    ...entry,
    ...finalViewOf(layout, entry.runId),
    card: facts.card,
    tags: [...(entry.config.tags ?? [])],
    note: entry.config.note ?? null,
    params: facts.params,
    metricStats: facts.metrics,
    ...(facts.metricsComplete ? {} : { metricStatsComplete: false }),
    ...checkpointOf(layout, entry),
  };
  const published = publishExclusive(
    layout.root,
    layout.historyRecord(entry.runId),
    `${JSON.stringify(record)}\n`,
  );
  if (!published.ok) return published;
  // Found there: a finaliser before us may have died before its index line (see the top).
  if (published.value === 'exists' && indexTailHas(layout, entry.runId)) return success(null);
  appendLine(
    layout.root,
    layout.historyIndex,
    summaryOf(published.value === 'created' ? record : (getHistory(layout, entry.runId) ?? record)),
  );
  // The card is written when its capture ends, which can be after a quick run ended: whichever of
  // the card's writer and this finaliser comes second adds it to the record (see attachCard).
  if (published.value === 'created' && record.card === null) attachCardIfWritten(layout, entry.runId);
  return success(null);
}

/** Add the card of run `runId` to its history record when the card is in its directory now. */
function attachCardIfWritten(layout: Layout, runId: string): void {
  const card = readRunCard(layout, runId);
  if (card === null) return;
  editHistory(layout, runId, (r) => (r.card === null || r.card === undefined ? { ...r, card } : null));
}

/**
 * The card writer's half (see recordHistory): once the card is written, add it to run `runId`'s
 * history record if the run already ended without it. No record yet: nothing to do (the
 * finaliser reads card.json).
 */
export async function attachCard(layout: Layout, runId: string, card: RunCard): Promise<void> {
  if (!hasHistory(layout, runId)) return;
  await editHistoryRecord(layout, runId, (r) =>
    r.card === null || r.card === undefined ? { ...r, card } : null,
  );
}

/** Issue 14: the checkpoint a run that was asked for one reported last (for resume and prune). */
function checkpointOf(layout: Layout, entry: HistoryEntry): Pick<HistoryEntry, 'checkpoint'> {
  if (entry.checkpoint !== undefined) return {};
  const newest = readCheckpointFacts(layout, entry.runId).newest;
  return newest === null ? {} : { checkpoint: newest };
}

/** How many lines from the end `recordHistory` looks through for a run's line. */
const tailLinesMax = 1_000;

/** True when one of the index's last lines is `runId`'s (a bounded look, not a full read). */
function indexTailHas(layout: Layout, runId: string): boolean {
  let found = false;
  let seen = 0;
  readNdjsonBackward(layout.root, layout.historyIndex, (r) => {
    found = r.id === runId && r.edited !== true;
    return !found && ++seen < tailLinesMax;
  });
  return found;
}

const isSummary = (v: Record<string, unknown>): boolean =>
  typeof v.id === 'string' && typeof v.outcome === 'string' && typeof v.endedAt === 'number';

const isRecord = (v: unknown): v is HistoryRecord =>
  typeof v === 'object' && v !== null && 'runId' in v && typeof v.runId === 'string' && 'outcome' in v;

/** The ids of every history record on disk (lists `history/`: for prefixes and rebuilds only). */
export function recordIds(layout: Layout): string[] {
  const names = listConfinedDir(layout.root, layout.historyDir);
  if (!names.ok) return [];
  return names.value.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -'.json'.length));
}

/** True when run `runId` has a history record (one open, no listing). */
export function hasHistory(layout: Layout, runId: string): boolean {
  const opened = openConfined(layout.root, layout.historyRecord(runId));
  if (!opened.ok || opened.value === 'missing') return false;
  closeQuietly(opened.value.fd);
  return true;
}

/** Rebuild a missing index from the records, oldest end first (the newest line last). */
function rebuildIndex(layout: Layout): void {
  const summaries: HistorySummary[] = [];
  for (const id of recordIds(layout)) {
    const record = getHistory(layout, id);
    if (record !== null) summaries.push(summaryOf(record));
  }
  if (summaries.length === 0) return;
  summaries.sort((a, b) => a.endedAt - b.endedAt || a.id.localeCompare(b.id));
  writeFileAtomic(
    layout.root,
    layout.historyIndex,
    `${summaries.map((s) => JSON.stringify(s)).join('\n')}\n`,
  );
}

/**
 * Ended runs, newest recorded first, read from the index's end until `limit` match: the cost
 * depends on `limit` (and on how rare the filtered outcome is), not on the size of the history.
 */
export function listHistory(layout: Layout, query: HistoryQuery = {}): HistorySummary[] {
  const limit = query.limit ?? Number.POSITIVE_INFINITY;
  const matches = summaryFilter(query);
  if (limit <= 0) return [];
  const collect = (): HistorySummary[] | 'missing' => {
    const seen = new Set<string>();
    // An edit (`runwarden tag`/`note`) appends the run's new line marked `edited`: it replaces
    // the original line where that stands, so a run keeps its place in the order.
    const edited = new Map<string, HistorySummary>();
    // A line without the filter's text cannot match, unless it is the original of an edited run.
    const mayMatch = rawLineFilter(query);
    const keepLine =
      mayMatch === undefined
        ? undefined
        : (line: Buffer) => mayMatch(line) || (edited.size > 0 && edited.has(rawLineId(line) ?? ''));
    const out: HistorySummary[] = [];
    const read = readNdjsonBackward(
      layout.root,
      layout.historyIndex,
      (r) => {
        if (!isSummary(r)) return true;
        const id = r.id as string;
        if (r.edited === true) {
          if (!edited.has(id)) {
            const { edited: _, ...line } = r;
            edited.set(id, line as unknown as HistorySummary);
          }
          return true;
        }
        // A line repeated after a crash (see the top): the newest copy counts.
        if (seen.has(id)) return true;
        seen.add(id);
        const summary = edited.get(id) ?? (r as unknown as HistorySummary);
        if (matches(summary)) out.push(summary);
        return out.length < limit;
      },
      keepLine,
    );
    if (!read.ok) return [];
    return read.value === 'missing' ? 'missing' : out;
  };
  const first = collect();
  if (first !== 'missing') return first;
  rebuildIndex(layout);
  const second = collect();
  return second === 'missing' ? [] : second;
}

/** One run's full history record, or null when there is none (or it is unreadable). */
export function getHistory(layout: Layout, runId: string): HistoryRecord | null {
  const read = readJsonFile(layout.root, layout.historyRecord(runId), isRecord);
  return read.ok && read.value.state === 'ok' ? read.value.value : null;
}

/** An edit lock older than this was left by a process that died mid-edit (edits take ms). */
const editLockStaleMs = 10_000;
const editLockTriesMax = 40;

/** Take the edit lock of run `runId`'s record (O_EXCL, bounded retries with back-off). */
async function takeEditLock(layout: Layout, lock: string): Promise<Result<null>> {
  for (let attempt = 0; attempt < editLockTriesMax; attempt++) {
    const created = createFileExclusive(layout.root, lock, `${process.pid}\n`, { mode: 0o600 });
    if (!created.ok) return created;
    if (created.value === 'created') return success(null);
    try {
      if (Date.now() - statSync(lock).mtimeMs > editLockStaleMs) unlinkQuietly(lock);
    } catch {
      // Gone in between: try again at once.
    }
    await new Promise((r) => setTimeout(r, Math.min(100, 5 * 2 ** attempt)));
  }
  return failure('RW_BUSY', `another process keeps editing ${lock.replace(/\.edit$/, '')}; try again`);
}

/**
 * Change run `runId`'s history record: `change` gets the record and returns the new one (null:
 * nothing to change). The record is replaced atomically under an edit lock (two editors never
 * lose each other's change) and an `edited` index line keeps `list` true. RW_NOT_FOUND without a
 * record. Resolves to the record as it is now.
 */
export async function editHistoryRecord(
  layout: Layout,
  runId: string,
  change: (record: HistoryRecord) => HistoryRecord | null,
): Promise<Result<HistoryRecord>> {
  const lock = `${layout.historyRecord(runId)}.edit`;
  if (!hasHistory(layout, runId))
    return failure('RW_NOT_FOUND', `run ${runId} has no history record (has it ended?)`);
  const locked = await takeEditLock(layout, lock);
  if (!locked.ok) return locked;
  try {
    return rewriteRecord(layout, runId, change);
  } finally {
    unlinkQuietly(lock);
  }
}

/** The same edit without waiting for a lock held by someone else (the finaliser's card patch). */
function editHistory(
  layout: Layout,
  runId: string,
  change: (record: HistoryRecord) => HistoryRecord | null,
): void {
  const lock = `${layout.historyRecord(runId)}.edit`;
  const created = createFileExclusive(layout.root, lock, `${process.pid}\n`, { mode: 0o600 });
  if (!created.ok || created.value !== 'created') return;
  try {
    rewriteRecord(layout, runId, change);
  } finally {
    unlinkQuietly(lock);
  }
}

/** Read, change, replace the record and append its edited index line (under the edit lock). */
function rewriteRecord(
  layout: Layout,
  runId: string,
  change: (record: HistoryRecord) => HistoryRecord | null,
): Result<HistoryRecord> {
  const record = getHistory(layout, runId);
  if (record === null) return failure('RW_NOT_FOUND', `run ${runId}'s history record is unreadable`);
  const next = change(record);
  if (next === null) return success(record);
  const written = writeFileAtomic(layout.root, layout.historyRecord(runId), `${JSON.stringify(next)}\n`, {
    mode: 0o644,
  });
  if (!written.ok) return written;
  // Only a change `list` can see needs an index line (the card is not on it: attaching one adds none).
  const summary = summaryOf(next);
  if (JSON.stringify(summary) !== JSON.stringify(summaryOf(record)))
    appendLine(layout.root, layout.historyIndex, { ...summary, edited: true });
  return success(next);
}
