// The CLI proper: run one command, map every failure to a one-line message on stderr and the
// documented exit code (0 ok, 2 usage, 3 conflict, 4 not found, 1 other).
import { RunwardenError } from '../api/errors.ts';
import { hintedMessage } from './hints.ts';
import { warn } from './output.ts';
import { buildProgram, CommanderError, usageExit } from './program.ts';

/** The one line for a server that could not listen (`serve` on a busy port), or null. */
function listenFailure(error: unknown): string | null {
  if (!(error instanceof Error) || !('code' in error)) return null;
  const { code, port, address } = error as Error & { code?: unknown; port?: unknown; address?: unknown };
  const where = `${typeof address === 'string' ? address : 'the address'}:${typeof port === 'number' ? port : '?'}`;
  if (code === 'EADDRINUSE')
    return `RW_PORT_IN_USE: port ${where} is already in use (another runwarden serve?); pick another with --port`;
  if (code === 'EACCES')
    return `RW_PORT_DENIED: not allowed to listen on ${where}; pick a port above 1023 with --port`;
  if (code === 'EADDRNOTAVAIL')
    return `RW_BAD_HOST: cannot listen on ${where}: no such local address; check --host`;
  return null;
}

/** Report a failure the way the CLI promises, and return its exit code. */
function failureCode(error: unknown): number {
  if (error instanceof RunwardenError) {
    warn(hintedMessage(error));
    return error.exitCode;
  }
  if (error instanceof CommanderError) return usageExit(error) ?? 2;
  const listen = listenFailure(error);
  if (listen !== null) {
    warn(listen);
    return 1;
  }
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
