// The workspace history: one record per ended run (`history/<id>.json`, published exactly once)
// and a summary index (`history.ndjson`, one line per record in the order they were published)
// that `list` reads from its end: the newest N cost the same with 100k ended runs as with 1k.
//
// Keeping the index true without listing `history/`: the record is published first, then its
// line appended. A crash between the two leaves the run's claim on disk, so the next runwarden
// process finalises the run again; `recordHistory` then finds the record there and appends the
// missing line (after looking for it in the index's tail). A deleted index is rebuilt from
// `history/` (one listing) by the next reader.
import { mkdirSync } from 'node:fs';
import type { Result } from '../../machine/ports.ts';
import type { HistoryEntry } from '../../machine/types.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { closeQuietly } from '../fs/cleanup.ts';
import { listConfinedDir, openConfined } from '../fs/confined.ts';
import { errnoOf, failure, success } from '../fs/fs-error.ts';
import { appendLine } from '../fs/ndjson-append.ts';
import { readNdjsonBackward } from '../fs/ndjson-backward.ts';
import { publishExclusive } from '../fs/publish-exclusive.ts';
import { readJsonFile } from '../fs/read-json.ts';
import { readCheckpointFacts } from './checkpoint-control.ts';
import { type FinalView, finalViewOf } from './final-view.ts';
import type { Layout } from './layout.ts';

/** A run's history record: how it ended, and the final view (stderr tail, last progress). */
export type HistoryRecord = HistoryEntry & FinalView;

/** One line of the index: what `list` shows. */
export interface HistorySummary {
  readonly id: string;
  readonly name: string;
  readonly outcome: HistoryEntry['outcome'];
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly startedAt: number | null;
  readonly endedAt: number;
  readonly durationMs: number | null;
  readonly reason: HistoryEntry['reason'];
  /** Issue 14: the run this one resumed or retried, when it is a restart (absent otherwise). */
  readonly parentId?: string;
  /** Issue 14: the lineage it belongs to, when it is a restart. */
  readonly lineageId?: string;
}

/** The summary of a record. */
export function summaryOf(entry: HistoryEntry): HistorySummary {
  return {
    id: entry.runId,
    name: entry.name,
    outcome: entry.outcome,
    exitCode: entry.exitCode,
    signal: entry.signal,
    startedAt: entry.startedAt,
    endedAt: entry.endedAt,
    durationMs: entry.startedAt === null ? null : Math.max(0, entry.endedAt - entry.startedAt),
    reason: entry.reason,
    ...(entry.config.lineage === undefined
      ? {}
      : { parentId: entry.config.lineage.parentId, lineageId: entry.config.lineage.lineageId }),
  };
}

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
  const record: HistoryRecord = {
    ...entry,
    ...finalViewOf(layout, entry.runId),
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
  appendLine(layout.root, layout.historyIndex, summaryOf(entry));
  return success(null);
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
    found = r.id === runId;
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

/** Which ended runs `listHistory` returns. */
export interface HistoryQuery {
  /** At most this many (default: all). */
  readonly limit?: number;
  /** Only runs that ended so (default: any). */
  readonly outcomes?: readonly HistoryEntry['outcome'][];
}

/**
 * Ended runs, newest recorded first, read from the index's end until `limit` match: the cost
 * depends on `limit` (and on how rare the filtered outcome is), not on the size of the history.
 */
export function listHistory(layout: Layout, query: HistoryQuery = {}): HistorySummary[] {
  const limit = query.limit ?? Number.POSITIVE_INFINITY;
  const wanted = query.outcomes ?? [];
  if (limit <= 0) return [];
  const collect = (): HistorySummary[] | 'missing' => {
    const seen = new Set<string>();
    const out: HistorySummary[] = [];
    const read = readNdjsonBackward(layout.root, layout.historyIndex, (r) => {
      if (!isSummary(r)) return true;
      const summary = r as unknown as HistorySummary;
      // A line repeated after a crash (see the top): the newest copy counts.
      if (seen.has(summary.id)) return true;
      seen.add(summary.id);
      if (wanted.length === 0 || wanted.includes(summary.outcome)) out.push(summary);
      return out.length < limit;
    });
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
