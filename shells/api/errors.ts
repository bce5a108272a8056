// The one error type the library API throws: a stable code, a one-line message, the CLI exit code.
import type { ErrorInfo } from '../../machine/types.ts';

/** Exit codes by error code (the CLI's contract): 2 usage, 3 conflict, 4 not found, 1 other. */
const exitCodes: Readonly<Record<string, number>> = {
  RW_USAGE: 2,
  RW_CONFLICT: 3,
  RW_NOT_FOUND: 4,
  RW_NO_ACTIVE_RUN: 4,
  /** Issue 12: several runs are active and the command needs one named. */
  RW_AMBIGUOUS: 2,
};

/** An operating error of runwarden: `code` is stable (RW_...), `message` one line for humans. */
export class RunwardenError extends Error {
  readonly code: string;
  readonly exitCode: number;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RunwardenError';
    this.code = code;
    this.exitCode = exitCodes[code] ?? 1;
  }

  /** From an error carried as data by the machine or a port. */
  static of(info: ErrorInfo): RunwardenError {
    return new RunwardenError(info.code, info.message);
  }
}
