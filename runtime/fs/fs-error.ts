// Turning caught Node errors into the typed failures the file functions return.
import type { Result } from '../../machine/ports.ts';

/** The errno name of a caught error (`'ENOSPC'`), or `'EUNKNOWN'` when it carries none. */
export function errnoOf(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return 'EUNKNOWN';
}

/** True for the errors that mean the disk (or quota) is full. */
export function isDiskFull(errno: string): boolean {
  return errno === 'ENOSPC' || errno === 'EDQUOT';
}

/** A failed `Result` carrying a stable code and a one-line message. */
export function failure<T>(code: string, message: string): Result<T> {
  return { ok: false, error: { code, message } };
}

/** A successful `Result`. */
export function success<T>(value: T): Result<T> {
  return { ok: true, value };
}

/** An error that stands for a write which made no progress: the disk is full. */
export function shortWriteError(path: string, writtenBytes: number, wantedBytes: number): Error {
  const message = `short write to ${path}: ${writtenBytes} of ${wantedBytes} bytes (disk full)`;
  return Object.assign(new Error(message), { code: 'ENOSPC' });
}
