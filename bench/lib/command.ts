// Running commands for the bench: a child process timed as a whole, and bounded polling.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/** A command line and the environment it runs with. */
export interface Command {
  argv: string[];
  env: NodeJS.ProcessEnv;
}

/** What a finished command did; `ms` is its wall time as a whole process. */
export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  endNs: bigint;
}

/** The CLOCK_MONOTONIC time in ns (the clock the jobs' `mono-now` prints). */
export const nowNs = (): bigint => process.hrtime.bigint();

/**
 * Runs `command` to its end, killing it (by its pid) after `timeoutMs`. `onStdout` sees the
 * output so far each time more arrives, with the arrival time.
 */
export function run(
  command: Command,
  timeoutMs = 30_000,
  onStdout?: (textSoFar: string, atNs: bigint) => void,
): Promise<Ran> {
  const [file, ...args] = command.argv;
  if (file === undefined) throw new Error('bench: empty command');
  const t0 = nowNs();
  const child = spawn(file, args, { env: command.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    const atNs = nowNs();
    stdout += d;
    onStdout?.(stdout, atNs);
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => {
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: 127, stdout, stderr: String(error), ms: Number(nowNs() - t0) / 1e6, endNs: nowNs() });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const endNs = nowNs();
      resolve({ code, stdout, stderr, ms: Number(endNs - t0) / 1e6, endNs });
    });
  });
}

/** Runs `command` and throws with its stderr unless it exits 0. */
export async function runOk(command: Command, timeoutMs = 30_000): Promise<Ran> {
  const ran = await run(command, timeoutMs);
  if (ran.code !== 0) {
    throw new Error(
      `bench: ${command.argv.join(' ')} exited ${ran.code}: ${ran.stderr.trim().slice(0, 500)}`,
    );
  }
  return ran;
}

/** Calls `probe` every `intervalMs` until it returns non-null; null after `timeoutMs`. */
export async function pollUntil<T>(
  probe: () => T | null | Promise<T | null>,
  timeoutMs: number,
  intervalMs = 2,
): Promise<T | null> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 1_000_000; i++) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) return null;
    await sleep(intervalMs);
  }
  return null;
}
