// The run card and the labels of ended runs through the library API (issue 17): capture the card
// beside a start (never delaying it), and edit an ended run's tags and note.
import type { RunConfig } from '../../machine/types.ts';
import { attachCard, editHistoryRecord, type HistoryRecord } from '../../runtime/local/history-store.ts';
import type { Layout } from '../../runtime/local/layout.ts';
import {
  type CaptureBounds,
  captureRunCard,
  type RunCard,
  readRunCard,
  writeRunCard,
} from '../../runtime/local/run-card.ts';
import { RunwardenError } from './errors.ts';
import { applyTagEdit, checkNote, type TagEdit } from './run-meta.ts';

export type { CapturedOutput, GitFacts, GpuFacts, RunCard } from '../../runtime/local/run-card.ts';
export type { MetricAt, MetricStats, ParamValue } from '../../runtime/local/run-facts.ts';

/** Card writes still under way in this process (a CLI waits for them before it exits). */
const pending = new Set<Promise<void>>();

/**
 * Start capturing the card of a run about to start with `config`. Call `keep()` once the run is
 * confirmed running: the card is written into its directory when the capture ends (or straight
 * into its history record if it already ended); `drop()` when the start failed.
 */
export function beginCardCapture(
  layout: Layout,
  config: RunConfig,
  bounds: CaptureBounds = {},
): { keep(): void; drop(): void } {
  const dropped = new AbortController();
  const capture = captureRunCard(config, process.env, { ...bounds, signal: dropped.signal });
  return {
    keep() {
      const write = capture.then(async (card) => {
        // A run that already ended and lost its directory (retention) keeps the card in its record.
        writeRunCard(layout, config.runId, card);
        await attachCard(layout, config.runId, card);
      });
      const tracked = write.catch(() => undefined).finally(() => pending.delete(tracked));
      pending.add(tracked);
    },
    drop() {
      // The start failed: kill the tools still running, write nothing.
      dropped.abort();
      void capture.catch(() => undefined);
    },
  };
}

/** Resolves when every card this process is still capturing has been written (each is bounded). */
export async function cardsWritten(): Promise<void> {
  while (pending.size > 0) await Promise.all([...pending]);
}

/** The card of run `runId`: from its history record once ended, else from its directory; null if none yet. */
export function runCardOf(
  layout: Layout,
  runId: string,
  record: HistoryRecord | null = null,
): RunCard | null {
  return record?.card ?? readRunCard(layout, runId);
}

/** Throw the edit's failure as a RunwardenError. */
function recordOrThrow(result: Awaited<ReturnType<typeof editHistoryRecord>>): HistoryRecord {
  if (!result.ok) throw RunwardenError.of(result.error);
  return result.value;
}

/** Add and remove tags of the ended run `runId` (durable; `list --tag` sees it at once). */
export async function editTags(layout: Layout, runId: string, edit: TagEdit): Promise<HistoryRecord> {
  return recordOrThrow(
    await editHistoryRecord(layout, runId, (r) => {
      const before = r.tags ?? r.config.tags ?? [];
      const tags = applyTagEdit(before, edit);
      return tags.join('\n') === before.join('\n') && r.tags !== undefined ? null : { ...r, tags };
    }),
  );
}

/** Replace the note of the ended run `runId` ('' clears it). */
export async function editNote(layout: Layout, runId: string, text: string): Promise<HistoryRecord> {
  const note = checkNote(text, 'note');
  return recordOrThrow(
    await editHistoryRecord(layout, runId, (r) => ({ ...r, note: note === '' ? null : note })),
  );
}
