// What the CLI adds to a library error: the command that helps next. The library's messages name
// no CLI command (an embedding service has none); the CLI appends these by error code.
import type { RunwardenError } from '../api/errors.ts';

/** The next command to try, by error code. */
export const hintsByCode: Readonly<Record<string, string>> = {
  RW_CONFLICT: "watch it with 'runwarden watch' or stop it with 'runwarden abort'",
  RW_NO_ACTIVE_RUN: 'see past runs with: runwarden list',
  RW_NOT_FOUND: 'see runs with: runwarden list, or start one with: runwarden start -- CMD',
  RW_MONITOR_BUILD_FAILED: 'then run the command again',
};

/** A CLI message of its own already names a command: it keeps its own advice. */
const namesCommand = /\brunwarden (start|status|watch|abort|logs|list|show|inspect|serve|helper)\b/;

/** The one line the CLI prints for `error`: its message, and the hint for its code if any. */
export function hintedMessage(error: RunwardenError): string {
  const hint = hintsByCode[error.code];
  if (hint === undefined || namesCommand.test(error.message)) return error.message;
  return `${error.message}; ${hint}`;
}
