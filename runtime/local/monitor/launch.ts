// Launches a job under rw-monitor: the job is created paused in its own session, then released or cancelled.
//
// Plain node:child_process rather than execa: the monitor must outlive us, so we want none of
// execa's cleanup, piping or promise-per-child, only `detached` (own session), raw fds for
// stdio and two extra channels (fd 3 report, fd 4 go). Node creates those channels as Unix
// socket pairs; the monitor only reads and writes bytes on them, which works the same.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Writable } from 'node:stream';
import type { Result } from '../../../machine/ports.ts';
import { ensureMonitorBinary } from './build.ts';
import { execFailureMessage } from './exec-failure.ts';
import { type ReportReader, readReportLines } from './report-reader.ts';
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
  /** Log files, opened O_APPEND|O_CREAT (0644) and handed to the job as its fd 1 and 2. */
  readonly stdoutPath: string;
  readonly stderrPath: string;
  /** Bound on each wait: for the monitor's pid report, and for the exec report after release(). */
  readonly startTimeoutMs: number;
}

/** A job that exists, paused in its own session (pgid = pid), under a live monitor. */
export interface Launched {
  /** The job's pid, also its process group id and session id. */
  readonly pid: number;
  /** The monitor's pid: signal it with SIGUSR1 to abort gracefully, SIGUSR2 to kill the job's group. */
  readonly monitorPid: number;
  /**
   * Let the job exec its program. Ok once the program runs; RW_SPAWN_FAILED when exec failed,
   * RW_SPAWN_CANCELLED when the job was cancelled or killed first, RW_START_TIMEOUT or
   * RW_MONITOR_FAILED otherwise. Calling it again returns the same answer.
   */
  release(): Promise<Result<null>>;
  /** Let the job end without running its program (exit.json then says notStarted). No-op after release(). */
  cancel(): void;
}

/**
 * Start rw-monitor for `opts.argv`, detached, and resolve once it reported the job's pid.
 * Never throws: invalid options, log files that cannot be opened, a monitor that cannot be
 * built, started or does not answer within `startTimeoutMs` come back as errors with a code.
 */
export async function launchMonitored(opts: LaunchOptions): Promise<Result<Launched>> {
  const invalid = validate(opts);
  if (invalid !== null) return invalid;
  const binary = await ensureMonitorBinary();
  if (!binary.ok) return binary;
  const runDir = path.resolve(opts.runDir);
  const fds = openLogs(opts.stdoutPath, opts.stderrPath);
  if (!fds.ok) return fds;
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(binary.value, [runDir, '--', ...opts.argv], {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      detached: true,
      stdio: ['ignore', fds.value[0], fds.value[1], 'pipe', 'pipe'],
    });
  } catch (error) {
    return fail(
      'RW_MONITOR_SPAWN_FAILED',
      `could not start ${binary.value}: ${String(error)} (while launching)`,
    );
  } finally {
    for (const fd of fds.value) fs.closeSync(fd);
  }
  const report = child.stdio[3];
  const go = child.stdio[4];
  if (!(report instanceof net.Socket) || !(go instanceof net.Socket)) {
    return fail(
      'RW_MONITOR_SPAWN_FAILED',
      `the monitor ${binary.value} got no report/go channels (while launching)`,
    );
  }
  let spawnError: NodeJS.ErrnoException | null = null;
  const reader = readReportLines(report);
  child.on('error', (error: NodeJS.ErrnoException) => {
    spawnError = error;
    reader.close();
  });
  child.unref();
  go.unref();
  go.on('error', () => {}); // a dead job or monitor shows up on the report channel instead

  const first = await reader.next(opts.startTimeoutMs);
  const monitorPid = child.pid;
  const pid = first.kind === 'line' ? /^pid (\d+)$/.exec(first.line)?.[1] : undefined;
  if (pid === undefined || monitorPid === undefined) {
    reader.close();
    go.destroy();
    if (monitorPid !== undefined && first.kind === 'timeout') child.kill('SIGKILL');
    return fail(...pidFailure(first.kind, spawnError, binary.value, runDir, opts));
  }
  return ok(handleFor(Number(pid), monitorPid, reader, go, opts));
}

// Build the release/cancel handle around the go channel and the report reader.
function handleFor(
  pid: number,
  monitorPid: number,
  reader: ReportReader,
  go: Writable,
  opts: LaunchOptions,
): Launched {
  let released: Promise<Result<null>> | null = null;
  let cancelled = false;
  const program = opts.argv[0] ?? '';
  return {
    pid,
    monitorPid,
    release(): Promise<Result<null>> {
      if (cancelled) {
        return Promise.resolve(fail('RW_SPAWN_CANCELLED', `the job ${pid} was cancelled before release`));
      }
      released ??= (async () => {
        go.end('G');
        const answer = await reader.next(opts.startTimeoutMs);
        reader.close();
        go.destroy();
        return execOutcome(answer.kind === 'line' ? answer.line : answer.kind, program, pid, opts);
      })();
      return released;
    },
    cancel(): void {
      if (released !== null || cancelled) return;
      cancelled = true;
      go.destroy();
      reader.close();
    },
  };
}

// Interpret the monitor's exec report (or its absence) after release.
function execOutcome(answer: string, program: string, pid: number, opts: LaunchOptions): Result<null> {
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

// The code and message for a launch that never got the job's pid.
function pidFailure(
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

// Check the options a caller could get wrong; null when they are usable.
function validate(opts: LaunchOptions): Result<Launched> | null {
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

// Open both log files for appending; on failure close what was opened.
function openLogs(stdoutPath: string, stderrPath: string): Result<[number, number]> {
  const opened: number[] = [];
  for (const file of [stdoutPath, stderrPath]) {
    try {
      opened.push(fs.openSync(file, 'a', 0o644));
    } catch (error) {
      for (const fd of opened) fs.closeSync(fd);
      const code = (error as NodeJS.ErrnoException).code;
      return fail('RW_LOG_OPEN_FAILED', `could not open log file ${file} (${code}) (while launching)`);
    }
  }
  const [out, err] = opened;
  if (out === undefined || err === undefined) throw new Error('unreachable: two log fds were opened');
  return ok([out, err]);
}
