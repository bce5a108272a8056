// Reading an NDJSON file from its end, newest line first, in bounded chunks: the cost of reading
// the last N records does not grow with the file (the history index of 100k runs).
import type { Result } from '../../machine/ports.ts';
import { readUpTo, withConfinedFile } from './confined.ts';

/** Bytes read per step from the end. */
const chunkBytes = 64 * 1024;

/** What a backward read saw: how many lines it visited and how many could not be parsed. */
export interface BackwardRead {
  readonly visited: number;
  readonly unreadable: number;
}

/**
 * Visits the records of the confined NDJSON file `path` from the last line to the first until
 * `visit` returns false. A line that is not a JSON object (a torn last line, a foreign line) is
 * counted as unreadable and skipped. `'missing'` when there is no file. Memory is bounded by one
 * chunk plus the longest line.
 */
export function readNdjsonBackward(
  root: string,
  path: string,
  visit: (record: Record<string, unknown>) => boolean,
  /** A cheap look at a line's bytes before parsing it: false skips the line unparsed (issue 17: list filters). */
  keep?: (line: Buffer) => boolean,
): Result<BackwardRead | 'missing'> {
  return withConfinedFile(root, path, (fd, sizeBytes) => {
    let visited = 0;
    let unreadable = 0;
    let position = sizeBytes;
    let carry: Buffer = Buffer.alloc(0);
    // Each pass moves `position` back by one chunk: at most size / chunk passes.
    while (position > 0) {
      const start = Math.max(0, position - chunkBytes);
      const block = Buffer.concat([readUpTo(fd, position - start, start), carry]);
      position = start;
      let end = block.length;
      for (let i = block.length - 1; i >= -1; i--) {
        if (i >= 0 && block[i] !== 0x0a) continue;
        // block[i+1 .. end) is a whole line, unless it starts the file's unread part.
        if (i < 0 && position > 0) break;
        const line = block.subarray(i + 1, end);
        end = Math.max(0, i);
        if (line.length === 0) continue;
        visited++;
        if (keep !== undefined && !keep(line)) continue;
        const record = parse(line);
        if (record === null) unreadable++;
        else if (!visit(record)) return { visited, unreadable };
      }
      carry = block.subarray(0, end);
    }
    return { visited, unreadable };
  });
}

function parse(line: Buffer): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(line.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
