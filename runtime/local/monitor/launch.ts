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
import { execOutcome, pidFailure } from './launch-errors.ts';
import { type LaunchOptions, openLogs, validateLaunchOptions } from './launch-options.ts';
import { type ReportReader, readReportLines } from './report-reader.ts';
import { fail, ok } from './result.ts';

export type { LaunchOptions } from './launch-options.ts';

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
  const invalid = validateLaunchOptions(opts);
  if (invalid !== null) return invalid;
  const binary = await ensureMonitorBinary();
  if (!binary.ok) return binary;
  const runDir = path.resolve(opts.runDir);
  // A run directory lives directly in its workspace: the parent confines the logs.
  const fds = openLogs(path.dirname(runDir), opts.stdoutPath, opts.stderrPath);
  if (!fds.ok) return fds;
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(binary.value, [runDir, '--', ...opts.argv], {
      cwd: opts.cwd,
      env: {
        ...(opts.baseEnv ?? process.env),
        ...opts.env,
        ...(opts.kick === undefined || opts.kick.length === 0 ? {} : { RW_KICK: opts.kick.join('\x1f') }),
      },
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
