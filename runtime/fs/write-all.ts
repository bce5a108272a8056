// The full-write loop: fs.writeSync may write fewer bytes than asked (a full disk returns a
// short count instead of throwing), so keep writing the rest and treat no progress as ENOSPC.
import { writeSync } from 'node:fs';
import { shortWriteError } from './fs-error.ts';

/**
 * Writes every byte of `bytes` to `fd` at its current position, or throws. A write that makes no
 * progress throws an error with `code: 'ENOSPC'`; errors from the kernel are thrown unchanged.
 * Internal to runtime/fs: callers catch and turn the error into a `Result`.
 */
export function writeAll(fd: number, bytes: Uint8Array, pathForErrors: string): void {
  let doneBytes = 0;
  // Each pass writes at least one byte or throws, so the loop runs at most bytes.length times.
  while (doneBytes < bytes.length) {
    const wroteBytes = writeSync(fd, bytes, doneBytes, bytes.length - doneBytes);
    if (wroteBytes <= 0) throw shortWriteError(pathForErrors, doneBytes, bytes.length);
    doneBytes += wroteBytes;
  }
}

/** The bytes of `data`: strings are encoded as UTF-8. */
export function bytesOf(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}
