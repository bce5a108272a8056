// Bounded reads of part of a workspace file, opened through `openConfined` (inside the workspace,
// no symlink at the last component, regular files only): a byte range, or the file's tail.
import type { Result } from '../../machine/ports.ts';
import { readUpTo, withConfinedFile } from './confined.ts';

/** Bytes read from a confined file, where they start, and the file's size at the time. */
export interface ConfinedRange {
  readonly bytes: Uint8Array;
  readonly fromBytes: number;
  readonly sizeBytes: number;
}

/**
 * Reads at most `lengthBytes` of the file at `path` inside `root` from `fromBytes` (a negative
 * `fromBytes` counts back from the end: -n is the last n bytes). `'missing'` when it does not
 * exist; the refusals of `openConfined` otherwise. Never throws.
 */
export function readRangeConfined(
  root: string,
  path: string,
  fromBytes: number,
  lengthBytes: number,
): Result<ConfinedRange | 'missing'> {
  return withConfinedFile(root, path, (fd, sizeBytes) => {
    const start = fromBytes < 0 ? Math.max(0, sizeBytes + fromBytes) : Math.min(fromBytes, sizeBytes);
    const length = Math.max(0, Math.min(lengthBytes, sizeBytes - start));
    return { bytes: readUpTo(fd, length, start), fromBytes: start, sizeBytes };
  });
}

/**
 * The last `linesMax` lines of the confined file at `path`, reading at most its last `bytesMax`
 * bytes (a first line cut by that window is dropped). [] when it is missing or refused.
 */
export function tailLinesConfined(root: string, path: string, linesMax: number, bytesMax: number): string[] {
  const read = readRangeConfined(root, path, -bytesMax, bytesMax);
  if (!read.ok || read.value === 'missing') return [];
  return linesOfTail(read.value, linesMax);
}

/** The last `linesMax` whole lines of a range read from a file's end (a cut first line dropped). */
export function linesOfTail(range: ConfinedRange, linesMax: number): string[] {
  const lines = Buffer.from(range.bytes).toString('utf8').split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  if (range.fromBytes > 0) lines.shift();
  return lines.slice(-linesMax);
}
