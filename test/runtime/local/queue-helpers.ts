// Helpers of the queue tests: fresh workspaces, child library users, and ending (by PID) every
// process that names a test's directory in its command line (jobs, monitors, kicks, children).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../../helpers/wait-for.ts';

const childScript = fileURLToPath(new URL('./queue-child.ts', import.meta.url));

/** A fresh directory holding a workspace `ws` (not created yet) and room for job marker files. */
export function tempBase(): { base: string; ws: string } {
  const base = mkdtempSync(join(tmpdir(), 'rw-queue-'));
  return { base, ws: join(base, 'ws') };
}

/** The pids of processes whose command line mentions `text` (never this process). */
export function pidsMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (cmdline.includes(text) && !/\) Z /.test(stat)) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** SIGKILL every process mentioning `base` (by PID) and remove it; returns the pids that were alive. */
export async function endAll(base: string): Promise<number[]> {
  const alive = pidsMentioning(base);
  for (const pid of alive) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // ended meanwhile
    }
  }
  await waitFor(() => pidsMentioning(base).length === 0, {
    timeoutMs: 10_000,
    description: `processes of ${base} to end`,
  });
  if (existsSync(base)) rmSync(base, { recursive: true, force: true });
  return alive;
}

/** A running queue-child.ts and its output so far. */
export interface Child {
  readonly process: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

/** Start `queue-child.ts args…` (the same Node as the tests). */
export function child(args: readonly string[]): Child {
  const proc = spawn(process.execPath, [childScript, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { process: proc, output: () => out, exited };
}

/** Run `queue-child.ts args…` to its end; its stdout, or an error with everything it printed. */
export async function childResult(args: readonly string[]): Promise<string> {
  const c = child(args);
  const code = await c.exited;
  if (code !== 0) throw new Error(`queue-child ${args.join(' ')} exited ${code}: ${c.output()}`);
  return c.output();
}
