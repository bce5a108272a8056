// Test support: run the runwarden CLI exactly as a user would (Node 24, the package's bin script,
// the workspace in RUNWARDEN_WORKSPACE), collect its output, and bound every wait for it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the CLI runs from here, like `npx runwarden` in a checkout. */
export const REPO_DIR = fileURLToPath(new URL('../../../../', import.meta.url));

/** The `runwarden` executable (package.json `bin`): bin.js, or bin.ts in older checkouts. */
export const BIN =
  ['shells/cli/bin.js', 'shells/cli/bin.ts'].find((bin) => fs.existsSync(path.join(REPO_DIR, bin))) ??
  'shells/cli/bin.js';

/** How one CLI process ended. */
export interface CliResult {
  readonly pid: number;
  /** The exit code, or null when it died by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A CLI process under way. */
export interface CliProcess {
  readonly pid: number;
  /** Resolves once the process has exited and its output is closed (never rejects). */
  readonly done: Promise<CliResult>;
  /** What it printed on stdout so far (for following a long-lived command such as watch). */
  readonly stdoutSoFar: () => string;
}

/** Options of one CLI run. */
export interface CliOptions {
  /** Extra environment (e.g. RW_FAILPOINT). */
  readonly env?: Readonly<Record<string, string>>;
  /** SIGKILL the process if it has not ended after this long (default 45 s). */
  readonly killAfterMs?: number;
  /** Run as this uid and gid, with no supplementary groups (`setpriv`; the test must be root). */
  readonly asUid?: number;
}

/**
 * Spawn `runwarden ARGS` on workspace `ws`. `onPid` hears the pid at once (to track it before
 * anything can go wrong). A process still running after `killAfterMs` is SIGKILLed by its pid and
 * reported with signal SIGKILL and a note on stderr, so a hang fails the test with its output.
 */
export function spawnCli(
  ws: string,
  args: readonly string[],
  onPid: (pid: number) => void,
  options: CliOptions = {},
): CliProcess {
  const uid = options.asUid;
  const command =
    uid === undefined
      ? [process.execPath, BIN]
      : ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', process.execPath, BIN];
  const [file = process.execPath, ...prefix] = command;
  const child = spawn(file, [...prefix, ...args], {
    cwd: REPO_DIR,
    env: { ...process.env, NO_COLOR: '1', RUNWARDEN_WORKSPACE: ws, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`runwarden ${args.join(' ')} did not start`);
  onPid(pid);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const killAfterMs = options.killAfterMs ?? 45_000;
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, killAfterMs);
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const note = killed ? `\n[test: killed after ${killAfterMs} ms: runwarden ${args.join(' ')}]` : '';
      resolve({ pid, code, signal, stdout, stderr: stderr + note });
    });
  });
  return { pid, done, stdoutSoFar: () => stdout };
}

/** The JSON a `--json` command printed, or an Error naming the command and its output. */
export function jsonOf<T>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(
      `expected JSON from runwarden (pid ${result.pid}, code ${result.code}, signal ${result.signal}); ` +
        `stdout: ${result.stdout}; stderr: ${result.stderr}`,
    );
  }
}
