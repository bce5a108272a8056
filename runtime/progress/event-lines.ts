// Recovering the line number of each record of an NDJSON batch, for warnings about invalid events.
import type { NdjsonSkip } from '../fs/ndjson-batch.ts';

/**
 * The line numbers of a batch's records, given the batch's first line, the line after it, the
 * record count and the skipped lines. Exact when every line of the batch was a record or a listed
 * skip (the usual case); null when blank lines or unlisted skips make it ambiguous.
 */
export function recordLines(
  firstLine: number,
  endLine: number,
  recordCount: number,
  skipped: readonly NdjsonSkip[],
  skippedCount: number,
): number[] | null {
  if (endLine - firstLine !== recordCount + skippedCount || skipped.length !== skippedCount) return null;
  const skippedLines = new Set(skipped.map((skip) => skip.line));
  const lines: number[] = [];
  // One pass per line of the batch: endLine - firstLine passes.
  for (let line = firstLine; line < endLine; line += 1) {
    if (!skippedLines.has(line)) lines.push(line);
  }
  return lines.length === recordCount ? lines : null;
}
