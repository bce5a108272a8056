// Reads a run's log for the API, only from inside the workspace: the real path of the file must
// lie under the real path of the workspace (a symlinked run dir or log cannot point elsewhere).
import { closeSync, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { join, sep } from 'node:path';
import { runFiles } from '../api/run-files.ts';
import { HttpError } from './errors.ts';
import { logLineCharsMax } from './run-watch.ts';

/** A slice of a log: its text, the byte range it covers and the file's size then. */
export interface LogSlice {
  readonly stream: 'stdout' | 'stderr';
  readonly from: number;
  readonly to: number;
  readonly size: number;
  readonly text: string;
}

/** The files of a run the API reads, and what a message calls each. */
const readable = { stdout: 'stdout log', stderr: 'stderr log', lifecycle: 'lifecycle journal' } as const;

/** The real path of `runId`'s file `file`, checked to lie inside the workspace (404 when gone). */
export function safeRunFilePath(workspace: string, runId: string, file: keyof typeof readable): string {
  let root: string;
  let real: string;
  try {
    root = realpathSync(workspace);
    real = realpathSync(join(workspace, runId, runFiles[file]));
  } catch {
    throw new HttpError(
      'RW_NOT_FOUND',
      `run ${runId} has no ${readable[file]} (its directory may have been deleted)`,
    );
  }
  if (!real.startsWith(root + sep)) {
    throw new HttpError('RW_PATH_ESCAPE', `the ${readable[file]} of run ${runId} lies outside the workspace`);
  }
  return real;
}

/** The real path of `runId`'s log `stream`, checked to lie inside the workspace. */
export function safeLogPath(workspace: string, runId: string, stream: 'stdout' | 'stderr'): string {
  return safeRunFilePath(workspace, runId, stream);
}

/** Read bytes [from, from + bytes) of the file (bounded), as UTF-8. */
export function readRange(path: string, stream: 'stdout' | 'stderr', from: number, bytes: number): LogSlice {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const start = Math.min(from, size);
    const length = Math.min(bytes, size - start);
    const buffer = Buffer.alloc(length);
    const read = length === 0 ? 0 : readSync(fd, buffer, 0, length, start);
    return { stream, from: start, to: start + read, size, text: buffer.subarray(0, read).toString('utf8') };
  } finally {
    closeSync(fd);
  }
}

/** The last `lines` lines of a file (reading at most its last 1 MiB), each cut to a bounded length. */
export function readTail(
  path: string,
  stream: 'stdout' | 'stderr',
  lines: number,
): LogSlice & { lines: string[] } {
  const fd = openSync(path, 'r');
  let size: number;
  try {
    size = fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
  const window = Math.min(size, 1024 * 1024);
  const slice = readRange(path, stream, size - window, window);
  const all = slice.text.split(/\r?\n/);
  if (all.at(-1) === '') all.pop();
  if (slice.from > 0) all.shift();
  const kept = all
    .slice(-lines)
    .map((l) => (l.length > logLineCharsMax ? `${l.slice(0, logLineCharsMax)}…` : l));
  return { ...slice, text: '', lines: kept };
}
