// What the shells read of a run for a client, every file through the workspace-confined open
// (runtime/fs/confined.ts): inside the workspace, no symlink at the last component, regular files
// only. A job that links its stdout.log to /etc/shadow gets a refusal, never the file.
import type { RunConfig } from '../../machine/types.ts';
import { readConfined } from '../../runtime/fs/confined.ts';
import { readRangeConfined, tailLinesConfined } from '../../runtime/fs/confined-range.ts';
import {
  type HistoryQuery,
  type HistoryRecord,
  type HistorySummary,
  listHistory,
} from '../../runtime/local/history-store.ts';
import { type Layout, layoutOf, runFiles, runIdPattern } from '../../runtime/local/layout.ts';
import { RunwardenError } from './errors.ts';
import { lastRedraw } from './terminal-text.ts';

/** The files of a run a client may read, and what a message calls each. */
const readable = { stdout: 'stdout log', stderr: 'stderr log', lifecycle: 'lifecycle journal' } as const;

/** A run file a client may read. */
export type ReadableRunFile = keyof typeof readable;

/** A slice of a log: its text, the byte range it covers and the file's size then. */
export interface LogSlice {
  readonly stream: 'stdout' | 'stderr';
  readonly from: number;
  readonly to: number;
  readonly size: number;
  readonly text: string;
}

/** Largest JSON record read for a client (a history record or a config snapshot). */
const recordBytesMax = 16 * 1024 * 1024;
/** Largest journal read for a client. */
const journalBytesMax = 64 * 1024 * 1024;
/** Bytes a tail of a log reads at most. */
const tailBytesMax = 1024 * 1024;

/** Bytes `[from, from + bytes)` of the file (negative `from`: from the end), or a RunwardenError. */
function rangeOf(root: string, path: string, what: string, from: number, bytes: number) {
  const read = readRangeConfined(root, path, from, bytes);
  if (!read.ok) throw RunwardenError.of(read.error);
  if (read.value === 'missing') {
    throw new RunwardenError('RW_NOT_FOUND', `${what} does not exist (its directory may have been deleted)`);
  }
  return read.value;
}

/** Bytes [from, from + bytes) of a run's log, as UTF-8 (RW_NOT_FOUND, RW_PATH_ESCAPE, RW_NOT_REGULAR). */
export function readLogRange(
  layout: Layout,
  runId: string,
  stream: 'stdout' | 'stderr',
  from: number,
  bytes: number,
): LogSlice {
  const what = `the ${readable[stream]} of run ${runId}`;
  const read = rangeOf(layout.root, layout.runFile(runId, stream), what, from, bytes);
  const text = Buffer.from(read.bytes).toString('utf8');
  return { stream, from: read.fromBytes, to: read.fromBytes + read.bytes.length, size: read.sizeBytes, text };
}

/** The last `lines` lines of a run's log (at most its last 1 MiB), each its last `\r` redraw (tqdm), cut to `lineCharsMax`. */
export function readLogTail(
  layout: Layout,
  runId: string,
  stream: 'stdout' | 'stderr',
  lines: number,
  lineCharsMax: number,
): LogSlice & { lines: string[] } {
  const slice = readLogRange(layout, runId, stream, -tailBytesMax, tailBytesMax);
  const all = slice.text.split(/\r?\n/);
  if (all.at(-1) === '') all.pop();
  if (slice.from > 0) all.shift();
  const kept = all
    .slice(-lines)
    .map(lastRedraw)
    .map((l) => (l.length > lineCharsMax ? `${l.slice(0, lineCharsMax)}…` : l));
  return { ...slice, text: '', lines: kept };
}

/** The last `linesMax` lines of the log at `path` inside the workspace; [] when missing or refused. */
export function logTailLines(layout: Layout, path: string, linesMax: number): string[] {
  return tailLinesConfined(layout.root, path, linesMax, 64 * 1024);
}

/** The last `linesMax` lines of run `runId`'s log `stream`; [] when missing or refused. */
export function runLogTailLines(
  layout: Layout,
  runId: string,
  stream: 'stdout' | 'stderr',
  linesMax: number,
) {
  return logTailLines(layout, layout.runFile(runId, stream), linesMax);
}

/** The parsed JSON of a confined file, null when missing, refused, too large or not JSON. */
function jsonOf(root: string, path: string): unknown {
  const read = readConfined(root, path, recordBytesMax);
  if (!read.ok || read.value === 'missing' || !(read.value instanceof Uint8Array)) return null;
  try {
    return JSON.parse(Buffer.from(read.value).toString('utf8'));
  } catch {
    return null;
  }
}

const isRecord = (v: unknown): v is HistoryRecord =>
  typeof v === 'object' && v !== null && 'runId' in v && typeof v.runId === 'string' && 'outcome' in v;

const isConfig = (v: unknown): v is RunConfig =>
  typeof v === 'object' && v !== null && 'runId' in v && 'argv' in v;

/** A run's history record, or null when there is none (or it is unreadable or refused). */
export function historyRecordOf(layout: Layout, runId: string): HistoryRecord | null {
  const value = jsonOf(layout.root, layout.historyRecord(runId));
  return isRecord(value) && value.runId === runId ? value : null;
}

/** A run's config snapshot, or null. */
export function runConfigSnapshotOf(layout: Layout, runId: string): RunConfig | null {
  const value = jsonOf(layout.root, layout.runFile(runId, 'config'));
  return isConfig(value) ? value : null;
}

/** The lines of a confined NDJSON file that parse to objects (bounded; RW_* errors as for logs). */
export function ndjsonRecordsOf(layout: Layout, path: string, what: string): Record<string, unknown>[] {
  const read = readConfined(layout.root, path, journalBytesMax);
  if (!read.ok) throw RunwardenError.of(read.error);
  if (read.value === 'missing') {
    throw new RunwardenError('RW_NOT_FOUND', `${what} does not exist (its directory may have been deleted)`);
  }
  if (!(read.value instanceof Uint8Array)) {
    throw new RunwardenError('RW_TOO_LARGE', `${what} is larger than ${journalBytesMax} bytes`);
  }
  const records: Record<string, unknown>[] = [];
  for (const line of Buffer.from(read.value).toString('utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      const value: unknown = JSON.parse(line);
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        records.push(value as Record<string, unknown>);
      }
    } catch {
      // A torn or foreign line is skipped, as the journal's own reader does.
    }
  }
  return records;
}

/** Ended runs, newest first (the history index; see history-store.ts). */
export function historyList(layout: Layout, query: HistoryQuery = {}): HistorySummary[] {
  return listHistory(layout, query);
}

export type { Layout };
/**
 * The layout of a workspace (`layoutOf(root)`: paths of the lock, history, run directories), the
 * file names inside a run directory (`runFiles`: stdout, stderr, events, lifecycle, config, exit…)
 * and what a run id may look like (`runIdPattern`).
 */
export { layoutOf, runFiles, runIdPattern };
