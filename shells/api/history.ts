// Ended runs as the API hands them out: the history records (outcome, times, config, the frozen
// final view) and their summaries, read from the workspace's history store without recovering.
import type { RunConfig } from '../../machine/types.ts';
import type { FinalView } from '../../runtime/local/final-view.ts';
import {
  getHistory as getRecord,
  type HistoryQuery,
  type HistoryRecord,
  type HistorySummary,
  listHistory as listRecords,
  type RecordFacts,
} from '../../runtime/local/history-store.ts';
import type { Layout } from '../../runtime/local/layout.ts';
import { runConfigSnapshotOf } from './run-files.ts';

export type { FinalView, HistoryQuery, HistoryRecord, HistorySummary, RecordFacts };

/** Summaries of the ended runs of the workspace at `layout`, newest first (no recovery first). */
export function listHistory(layout: Layout, query: HistoryQuery = {}): HistorySummary[] {
  return listRecords(layout, query);
}

/** The history record of the ended run `runId`, or null when it has not ended (or never existed). */
export function getHistory(layout: Layout, runId: string): HistoryRecord | null {
  return getRecord(layout, runId);
}

/** The config snapshot a run was started with, from its directory; null when unreadable or gone. */
export function readRunConfig(layout: Layout, runId: string): RunConfig | null {
  return runConfigSnapshotOf(layout, runId);
}
