// Test helper: real `node` child processes running a small ESM snippet, ended by PID afterwards.
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The file URL of a module in this repository, for `import` statements in child snippets. */
export function moduleUrl(repoPath: string): string {
  return pathToFileURL(resolve(import.meta.dirname, '../../..', repoPath)).href;
}

/** A running child: its stdout lines so far and a promise of its exit. */
export interface NodeChild {
  readonly process: ChildProcess;
  readonly lines: string[];
  readonly exited: Promise<number | null>;
}

/** Options of `startNodeChild`. */
export interface NodeChildOptions {
  readonly env?: Readonly<Record<string, string>>;
  /** Run under another uid/gid via setpriv (the test must run as root). */
  readonly uid?: number;
}

const started: NodeChild[] = [];

/** Starts `node --input-type=module -e code` and remembers it for `endNodeChildren`. */
export function startNodeChild(code: string, opts: NodeChildOptions = {}): NodeChild {
  const nodeArgs = ['--input-type=module', '-e', code];
  const [command, args] =
    opts.uid === undefined
      ? [process.execPath, nodeArgs]
      : [
          'setpriv',
          [`--reuid=${opts.uid}`, `--regid=${opts.uid}`, '--clear-groups', process.execPath, ...nodeArgs],
        ];
  const child = spawn(command, args, {
    env: { ...process.env, ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let pending = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (text: string) => {
    pending += text;
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    lines.push(...parts);
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    stderr += text;
  });
  const exited = new Promise<number | null>((done) => {
    child.on('close', (code) => {
      if (code !== 0 && stderr !== '') process.stderr.write(`child ${child.pid} stderr: ${stderr}\n`);
      done(code);
    });
  });
  const handle = { process: child, lines, exited };
  started.push(handle);
  return handle;
}

/** Polls `check` every 10 ms until it is true; fails after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 10));
  }
}

/** Kills every child still running by its PID and waits until each has exited. */
export async function endNodeChildren(): Promise<void> {
  const all = started.splice(0);
  for (const child of all) {
    if (child.process.exitCode === null && child.process.signalCode === null && child.process.pid) {
      process.kill(child.process.pid, 'SIGKILL');
    }
  }
  await Promise.all(all.map((child) => child.exited));
}
