// The CLI proper: run one command, map every failure to a one-line message on stderr and the
// documented exit code (0 ok, 2 usage, 3 conflict, 4 not found, 1 other).
import { RunwardenError } from '../api/errors.ts';
import { jsonRequested, printJsonFailure, trackJsonFlag } from './json-errors.ts';
import { warn } from './output.ts';
import { buildProgram, CommanderError, usageExit } from './program.ts';

/** Report a failure the way the CLI promises (and as JSON under --json), and return its exit code. */
function failureCode(error: unknown): number {
  const json = jsonRequested();
  if (error instanceof RunwardenError) {
    warn(error.message);
    if (json) printJsonFailure(error.code, error.message, error.exitCode);
    return error.exitCode;
  }
  if (error instanceof CommanderError) {
    const code = usageExit(error) ?? 2;
    if (json && code !== 0) printJsonFailure('RW_USAGE', error.message.replace(/^error: /, ''), code);
    return code;
  }
  const message = `internal error: ${error instanceof Error ? error.message : String(error)} (please report it)`;
  warn(message);
  if (json) printJsonFailure('RW_INTERNAL', message, 1);
  if (process.env.RUNWARDEN_DEBUG) console.error(error);
  return 1;
}

let pending: Promise<number> = Promise.resolve(0);
const program = buildProgram((code) => {
  pending = code;
});
trackJsonFlag(program);
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
