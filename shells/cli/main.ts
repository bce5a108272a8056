// The CLI proper: run one command, map every failure to a one-line message on stderr and the
// documented exit code (0 ok, 2 usage, 3 conflict, 4 not found, 1 other).
import { RunwardenError } from '../api/errors.ts';
import { hintedMessage } from './hints.ts';
import { jsonRequested, printJsonFailure, trackJsonFlag } from './json-errors.ts';
import { warn } from './output.ts';
import { buildProgram, CommanderError, usageExit } from './program.ts';

/** The one line for a server that could not listen (`serve` on a busy port), or null. */
function listenFailure(error: unknown): { code: string; message: string } | null {
  if (!(error instanceof Error) || !('code' in error)) return null;
  const { code, port, address } = error as Error & { code?: unknown; port?: unknown; address?: unknown };
  const where = `${typeof address === 'string' ? address : 'the address'}:${typeof port === 'number' ? port : '?'}`;
  if (code === 'EADDRINUSE')
    return {
      code: 'RW_PORT_IN_USE',
      message: `port ${where} is already in use (another runwarden serve?); pick another with --port`,
    };
  if (code === 'EACCES')
    return {
      code: 'RW_PORT_DENIED',
      message: `not allowed to listen on ${where}; pick a port above 1023 with --port`,
    };
  if (code === 'EADDRNOTAVAIL')
    return { code: 'RW_BAD_HOST', message: `cannot listen on ${where}: no such local address; check --host` };
  return null;
}

/** Report a failure the way the CLI promises (and as JSON under --json), and return its exit code. */
function failureCode(error: unknown): number {
  const json = jsonRequested();
  if (error instanceof RunwardenError) {
    const message = hintedMessage(error);
    warn(message);
    if (json) printJsonFailure(error.code, error.message, error.exitCode);
    return error.exitCode;
  }
  if (error instanceof CommanderError) {
    const code = usageExit(error) ?? 2;
    if (json && code !== 0) printJsonFailure('RW_USAGE', error.message.replace(/^error: /, ''), code);
    return code;
  }
  const listen = listenFailure(error);
  if (listen !== null) {
    warn(`${listen.code}: ${listen.message}`);
    if (json) printJsonFailure(listen.code, listen.message, 1);
    return 1;
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
/**
 * Resolves once what was written to `stream` has left the process (a pipe is written
 * asynchronously: exiting before would cut a long `--json` output short), or after `boundMs` when
 * the reader does not read.
 */
function flushed(stream: NodeJS.WriteStream, boundMs = 30_000): Promise<void> {
  if (stream.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, boundMs);
    timer.unref();
    stream.write('', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** With --inspect, let forwarders send their last events before the process exits (bounded). */
async function exitWith(code: number): Promise<never> {
  if (process.env.RUNWARDEN_INSPECT) await (await import('../api/inspect-forwarder.ts')).drainForwarders();
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}

try {
  await program.parseAsync(process.argv);
  await exitWith(await pending);
} catch (error) {
  await exitWith(failureCode(error));
}
