// The workspace history: one record per ended run (`history/<id>.json`, published exactly once)
// and a summary index (`history.ndjson`) that keeps `list` cheap with 10,000 runs.
import { mkdirSync } from 'node:fs';
import type { Result } from '../../machine/ports.ts';
import type { HistoryEntry } from '../../machine/types.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { listConfinedDir } from '../fs/confined.ts';
import { errnoOf, failure, success } from '../fs/fs-error.ts';
import { appendLine } from '../fs/ndjson-append.ts';
import { NdjsonReader } from '../fs/ndjson-reader.ts';
import { publishExclusive } from '../fs/publish-exclusive.ts';
import { readJsonFile } from '../fs/read-json.ts';
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
  const record: HistoryRecord = { ...entry, ...finalViewOf(layout, entry.runId) };
  const published = publishExclusive(
    layout.root,
    layout.historyRecord(entry.runId),
    `${JSON.stringify(record)}\n`,
  );
  if (!published.ok) return published;
  if (published.value === 'exists') return success(null);
  // The index is a cache of the records: a lost line is rebuilt by `listHistory`.
  appendLine(layout.root, layout.historyIndex, summaryOf(entry));
  return success(null);
}

const isSummary = (v: Record<string, unknown>): boolean =>
  typeof v.id === 'string' && typeof v.outcome === 'string' && typeof v.endedAt === 'number';

const isRecord = (v: unknown): v is HistoryRecord =>
  typeof v === 'object' && v !== null && 'runId' in v && typeof v.runId === 'string' && 'outcome' in v;

/** Every summary in the index, deduplicated by run id. */
function readIndex(layout: Layout): Map<string, HistorySummary> {
  const byId = new Map<string, HistorySummary>();
  const reader = new NdjsonReader(layout.root, layout.historyIndex);
  for (let batches = 0; batches < 10_000; batches++) {
    const read = reader.read({ final: true });
    if (!read.ok) break;
    for (const r of read.value.records)
      if (isSummary(r)) byId.set(String(r.id), r as unknown as HistorySummary);
    if (!read.value.more) break;
  }
  return byId;
}

/** The ids of every history record on disk. */
export function recordIds(layout: Layout): string[] {
  const names = listConfinedDir(layout.root, layout.historyDir);
  if (!names.ok) return [];
  return names.value.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -'.json'.length));
}

/** Rebuild the index from the records (after a crash lost a line, or the index was deleted). */
function rebuildIndex(layout: Layout, ids: readonly string[]): Map<string, HistorySummary> {
  const byId = new Map<string, HistorySummary>();
  for (const id of ids) {
    const record = getHistory(layout, id);
    if (record !== null) byId.set(id, summaryOf(record));
  }
  const lines = [...byId.values()].map((s) => JSON.stringify(s)).join('\n');
  writeFileAtomic(layout.root, layout.historyIndex, lines === '' ? '' : `${lines}\n`);
  return byId;
}

/** Ended runs, newest first; the index is trusted when it counts as many runs as there are records. */
export function listHistory(layout: Layout): HistorySummary[] {
  const ids = recordIds(layout);
  let byId = readIndex(layout);
  if (byId.size !== ids.length) byId = rebuildIndex(layout, ids);
  return [...byId.values()].sort((a, b) => b.endedAt - a.endedAt || b.id.localeCompare(a.id));
}

/** One run's full history record, or null when there is none (or it is unreadable). */
export function getHistory(layout: Layout, runId: string): HistoryRecord | null {
  const read = readJsonFile(layout.root, layout.historyRecord(runId), isRecord);
  return read.ok && read.value.state === 'ok' ? read.value.value : null;
}
