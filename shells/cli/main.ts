// The CLI proper: run one command, map every failure to a one-line message on stderr and the
// documented exit code (0 ok, 2 usage, 3 conflict, 4 not found, 1 other).
import { RunwardenError } from '../api/errors.ts';
import { hintedMessage } from './hints.ts';
import { warn } from './output.ts';
import { buildProgram, CommanderError, usageExit } from './program.ts';

/** Report a failure the way the CLI promises, and return its exit code. */
function failureCode(error: unknown): number {
  if (error instanceof RunwardenError) {
    warn(hintedMessage(error));
    return error.exitCode;
  }
  if (error instanceof CommanderError) return usageExit(error) ?? 2;
  warn(`internal error: ${error instanceof Error ? error.message : String(error)} (please report it)`);
  if (process.env.RUNWARDEN_DEBUG) console.error(error);
  return 1;
}

let pending: Promise<number> = Promise.resolve(0);
const program = buildProgram((code) => {
  pending = code;
});
/** With --inspect, let forwarders send their last events before the process exits (bounded). */
async function exitWith(code: number): Promise<never> {
  if (process.env.RUNWARDEN_INSPECT) await (await import('../api/inspect-forwarder.ts')).drainForwarders();
  process.exit(code);
}

try {
  await program.parseAsync(process.argv);
  await exitWith(await pending);
} catch (error) {
  await exitWith(failureCode(error));
}
