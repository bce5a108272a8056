// Constructors for the ports' Result type, so operating errors are built one way in this module.
import type { Result } from '../../../machine/ports.ts';

/** A successful Result carrying `value`. */
export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

/** A failed Result with a stable `code` (RW_...) and a message naming the path and the operation. */
export function fail<T>(code: string, message: string): Result<T> {
  return { ok: false, error: { code, message } };
}
