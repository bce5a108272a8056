// The errors a monitored launch can end in, worded so the user can act on them.
import type { Result } from '../../../machine/ports.ts';
import type { LaunchOptions } from './launch-options.ts';
import { fail, ok } from './result.ts';

/** What release() answers for the monitor's exec report line, or `timeout` / `ended` in its absence. */
export function execOutcome(answer: string, program: string, pid: number, opts: LaunchOptions): Result<null> {
  if (answer === 'exec ok') return ok(null);
  if (answer === 'exec cancelled') {
    return fail(
      'RW_SPAWN_CANCELLED',
      `the job ${pid} ended before it could run '${program}' (while releasing)`,
    );
  }
  if (answer === 'timeout') {
    return fail(
      'RW_START_TIMEOUT',
      `the monitor did not confirm that '${program}' started within ${opts.startTimeoutMs} ms (while releasing)`,
    );
  }
  const errno = /^exec (E[A-Z0-9]+)$/.exec(answer)?.[1];
  if (errno !== undefined) return fail('RW_SPAWN_FAILED', execFailureMessage(program, errno));
  return fail(
    'RW_MONITOR_FAILED',
    `the monitor of job ${pid} ended without confirming that '${program}' started (got '${answer}'; see ${opts.stderrPath}) (while releasing)`,
  );
}

/** The code and message for a launch that never got the job's pid. */
export function pidFailure(
  kind: 'line' | 'ended' | 'timeout',
  spawnError: NodeJS.ErrnoException | null,
  binary: string,
  runDir: string,
  opts: LaunchOptions,
): [string, string] {
  if (spawnError !== null) {
    return [
      'RW_MONITOR_SPAWN_FAILED',
      `could not start ${binary} in ${opts.cwd}: ${spawnError.code} (while launching)`,
    ];
  }
  if (kind === 'timeout') {
    return [
      'RW_START_TIMEOUT',
      `the monitor for ${runDir} did not report the job's pid within ${opts.startTimeoutMs} ms; it was killed (while launching)`,
    ];
  }
  return [
    'RW_MONITOR_FAILED',
    `the monitor for ${runDir} ended without reporting the job's pid (see ${opts.stderrPath}) (while launching)`,
  ];
}

// What each errno execve can fail with means to someone who typed the command.
const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'not found',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOEXEC: 'not an executable format',
  ENOTDIR: 'a path component is not a directory',
  E2BIG: 'argument list too long',
  ETXTBSY: 'the file is being written',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'name too long',
  ENOMEM: 'out of memory',
};

// `cannot run 'PROG': not found (ENOENT)` for a program whose exec failed with `errno`.
function execFailureMessage(program: string, errno: string): string {
  return `cannot run '${program}': ${REASONS[errno] ?? 'exec failed'} (${errno})`;
}
