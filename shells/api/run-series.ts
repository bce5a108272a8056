// Whole-file and byte-range reads of a run's events file and logs for the dashboard's run page
// (issue 18: every metric point, log search, the raw log as a download), confined to the
// workspace like every other read for a client (runtime/fs/confined.ts via run-files' layout).
import { readConfined } from '../../runtime/fs/confined.ts';
import { readRangeConfined } from '../../runtime/fs/confined-range.ts';
import { RunwardenError } from './errors.ts';
import type { Layout } from './run-files.ts';

/** The run files these reads may open. */
export type SeriesRunFile = 'events' | 'stdout' | 'stderr' | 'config';

/** Bytes of a file read from `fromBytes`, and the file's size then. */
export interface RunFileBytes {
  readonly bytes: Uint8Array;
  readonly fromBytes: number;
  readonly sizeBytes: number;
}

/**
 * Bytes `[from, from + length)` of a run's file (negative `from`: from the end); null when the
 * file does not exist; RW_PATH_ESCAPE / RW_NOT_REGULAR / RW_READ_FAILED as a RunwardenError.
 */
export function runFileRange(
  layout: Layout,
  runId: string,
  file: SeriesRunFile,
  from: number,
  length: number,
): RunFileBytes | null {
  const read = readRangeConfined(layout.root, layout.runFile(runId, file), from, length);
  if (!read.ok) throw RunwardenError.of(read.error);
  if (read.value === 'missing') return null;
  return { bytes: read.value.bytes, fromBytes: read.value.fromBytes, sizeBytes: read.value.sizeBytes };
}

/** A run's whole file (null when missing; `{ tooLarge: size }` over `bytesMax`). */
export function runFileWhole(
  layout: Layout,
  runId: string,
  file: SeriesRunFile,
  bytesMax: number,
): Uint8Array | { readonly tooLarge: number } | null {
  const read = readConfined(layout.root, layout.runFile(runId, file), bytesMax);
  if (!read.ok) throw RunwardenError.of(read.error);
  return read.value === 'missing' ? null : read.value;
}
