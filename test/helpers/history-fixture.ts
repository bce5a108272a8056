// A workspace history of many ended runs, written directly (records + index in the shape
// recordHistory writes), so tests and benches get 100k runs in seconds instead of 100k real runs.
import { mkdirSync, writeFileSync } from 'node:fs';
import type { HistoryEntry } from '../../machine/types.ts';
import { type HistoryRecord, summaryOf } from '../../runtime/local/history-store.ts';
import { layoutOf } from '../../runtime/local/layout.ts';
import { defaultRetention } from '../../shells/api/run-config.ts';

/** The id of fixture run `i` (sortable: zero-padded). */
export function fixtureRunId(i: number): string {
  return `run-${String(i).padStart(7, '0')}`;
}

/** The outcome of fixture run `i`: one in 7 failed, the rest finished. */
export function fixtureOutcome(i: number): HistoryEntry['outcome'] {
  return i % 7 === 0 ? 'failed' : 'finished';
}

/** The history entry of fixture run `i`: a `train` run ending 0.5 s after its start, one second after the previous. */
export function fixtureEntry(i: number): HistoryEntry {
  const runId = fixtureRunId(i);
  const outcome = fixtureOutcome(i);
  return {
    runId,
    name: 'train',
    outcome,
    exitCode: outcome === 'failed' ? 1 : 0,
    signal: null,
    startedAt: 1_700_000_000_000 + i * 1000,
    endedAt: 1_700_000_000_500 + i * 1000,
    reason: null,
    error: null,
    config: {
      runId,
      name: 'train',
      argv: ['python', 'train.py'],
      cwd: '/',
      env: {},
      graceMs: 30_000,
      stallAfterMs: null,
      abortOnStall: false,
      retention: defaultRetention,
    },
  };
}

/** Writes `count` ended runs (oldest first, one second apart) into the workspace at `ws`. */
export function writeHistoryFixture(ws: string, count: number): void {
  mkdirSync(ws, { recursive: true, mode: 0o700 });
  const layout = layoutOf(ws);
  mkdirSync(layout.historyDir, { recursive: true, mode: 0o700 });
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const entry = fixtureEntry(i);
    const runId = entry.runId;
    const record: HistoryRecord = { ...entry, stderrTail: [], progress: null, containment: null };
    writeFileSync(layout.historyRecord(runId), `${JSON.stringify(record)}\n`, { mode: 0o600 });
    lines.push(JSON.stringify(summaryOf(entry)));
  }
  writeFileSync(layout.historyIndex, lines.length === 0 ? '' : `${lines.join('\n')}\n`, { mode: 0o600 });
}
