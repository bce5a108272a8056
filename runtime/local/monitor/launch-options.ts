// The options of a monitored launch: their shape, their validation, and opening the log files they name.
import fs from 'node:fs';
import type { Result } from '../../../machine/ports.ts';
import { openConfined } from '../../fs/confined.ts';
import { fail, ok } from './result.ts';

/** What to launch and where; every path is used as given (runDir is resolved to absolute). */
export interface LaunchOptions {
  /** The run directory: the monitor writes exit.json here and reads abort-grace-ms from it. */
  readonly runDir: string;
  /** Program and arguments, run without a shell (the program is looked up on PATH). */
  readonly argv: readonly string[];
  readonly cwd: string;
  /** Merged over process.env for the job (the caller adds RUNWARDEN_RUN_ID etc.). */
  readonly env: Readonly<Record<string, string>>;
  /** Log files, opened O_APPEND|O_CREAT (0600: the job's output is the user's) and handed to the job as its fd 1 and 2. */
  readonly stdoutPath: string;
  readonly stderrPath: string;
  /** Bound on each wait: for the monitor's pid report, and for the exec report after release(). */
  readonly startTimeoutMs: number;
  /**
   * The environment `env` is merged over instead of process.env (issue 12: a queued run gets its
   * submitter's environment, not that of whichever process dispatched it).
   */
  readonly baseEnv?: Readonly<Record<string, string>>;
  /**
   * What the monitor runs, detached, once the exit is recorded (issue 12: the next queued run
   * starts with no runwarden process alive). Passed as RW_KICK (arguments joined by \x1f), which
   * the job never sees.
   */
  readonly kick?: readonly string[];
}

/** The first problem with options a caller could get wrong (RW_INVALID_OPTION), or null. */
export function validateLaunchOptions(opts: LaunchOptions): Result<never> | null {
  if (opts.argv.length === 0 || opts.argv[0] === '') {
    return fail('RW_INVALID_OPTION', `argv must name a program, got ${JSON.stringify(opts.argv)}`);
  }
  if (!Number.isFinite(opts.startTimeoutMs) || opts.startTimeoutMs <= 0) {
    return fail(
      'RW_INVALID_OPTION',
      `startTimeoutMs must be a positive number of ms, got ${opts.startTimeoutMs}`,
    );
  }
  for (const [option, dir] of [
    ['runDir', opts.runDir],
    ['cwd', opts.cwd],
  ] as const) {
    if (!isDirectory(dir))
      return fail('RW_INVALID_OPTION', `${option} must be an existing directory, got ${dir}`);
  }
  return null;
}

// True when `dir` exists and is a directory.
function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Open both log files O_APPEND|O_CREAT (0600: the job's output is the user's) through the confined layer, inside the workspace
 * `root` (a symlink or FIFO at a log, or a run directory linking out, is refused); on failure
 * close what was opened (RW_LOG_OPEN_FAILED naming the file and the cause).
 */
export function openLogs(root: string, stdoutPath: string, stderrPath: string): Result<[number, number]> {
  const opened: number[] = [];
  for (const file of [stdoutPath, stderrPath]) {
    const log = openConfined(root, file, { access: 'append', createMode: 0o600 });
    if (!log.ok || log.value === 'missing') {
      for (const fd of opened) fs.closeSync(fd);
      const why = log.ok ? 'its directory is missing' : `${log.error.code}: ${log.error.message}`;
      return fail('RW_LOG_OPEN_FAILED', `could not open log file ${file} (${why}) (while launching)`);
    }
    opened.push(log.value.fd);
  }
  const [out, err] = opened;
  if (out === undefined || err === undefined) throw new Error('unreachable: two log fds were opened');
  return ok([out, err]);
}
