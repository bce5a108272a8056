// Test support: find every process a fault test's workspace brought to life (by the workspace path
// in its environment), and end exactly the processes a test started, by PID, asserting none is left.
import fs from 'node:fs';
import { waitFor } from '../../../helpers/wait-for.ts';
import { isGoneOrZombie, statOf } from '../monitor/processes.ts';

/** A live process found in /proc. */
export interface FoundProcess {
  readonly pid: number;
  readonly cmdline: string;
}

/** The NUL-separated entries of a /proc file, or [] when the process is gone or unreadable. */
function procEntries(pid: number, file: 'environ' | 'cmdline'): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, 'latin1').split('\0');
  } catch {
    return [];
  }
}

/**
 * Live (non-zombie) processes whose environment names `ws`: every runwarden CLI run on it
 * (RUNWARDEN_WORKSPACE), its monitors, jobs and their descendants (they inherit it, and
 * RUNWARDEN_RUN_DIR). `ws` must be a unique temp path.
 */
export function processesOf(ws: string): FoundProcess[] {
  const found: FoundProcess[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    const mentions = procEntries(pid, 'environ').some(
      (entry) => entry.endsWith(`=${ws}`) || entry.includes(`=${ws}/`),
    );
    if (!mentions || isGoneOrZombie(pid)) continue;
    found.push({ pid, cmdline: procEntries(pid, 'cmdline').join(' ').trim() });
  }
  return found;
}

/** Whether a found process is a runwarden CLI process (not a monitor or a job). */
export function isCli(found: FoundProcess): boolean {
  return /shells\/cli\/(bin|main)\.(ts|js)/.test(found.cmdline);
}

/** SIGKILL `pid` (never a group, never pid <= 1); a process that ended meanwhile is fine. */
function killQuietly(pid: number): void {
  if (!Number.isSafeInteger(pid) || pid <= 1) throw new RangeError(`refusing to kill pid ${pid}`);
  try {
    process.kill(pid, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Processes a test started (pid with start time), ended by PID at the end of the test. */
export class Leftovers {
  private readonly started = new Map<number, number>();
  private readonly ws: string;

  constructor(ws: string) {
    this.ws = ws;
  }

  /** Remember `pid` as started by this test (a pid already gone is ignored). */
  add(pid: number): void {
    const stat = statOf(pid);
    if (stat !== null && !this.started.has(pid)) this.started.set(pid, stat.startTicks);
  }

  /** The tracked pids still running as themselves, plus any live process of the workspace. */
  alive(): string[] {
    const alive = new Map<number, string>();
    for (const [pid, ticks] of this.started) {
      if (statOf(pid)?.startTicks === ticks && !isGoneOrZombie(pid)) alive.set(pid, 'tracked');
    }
    for (const p of processesOf(this.ws)) alive.set(p.pid, p.cmdline);
    return [...alive].map(([pid, what]) => `${pid} (${what})`);
  }

  /** Wait (bounded) until nothing of this test runs any more; returns what is still alive. */
  async settle(timeoutMs = 10_000): Promise<string[]> {
    await waitFor(() => this.alive().length === 0, { timeoutMs, description: 'no process left' }).catch(
      () => undefined,
    );
    return this.alive();
  }

  /**
   * SIGKILL, by PID, every tracked process still running as itself and every live process of the
   * workspace; then wait until they are gone and return the ones that are not (expect []).
   */
  async endAll(): Promise<string[]> {
    for (const [pid, ticks] of this.started) {
      if (statOf(pid)?.startTicks === ticks && !isGoneOrZombie(pid)) killQuietly(pid);
    }
    for (const { pid } of processesOf(this.ws)) killQuietly(pid);
    return this.settle(5_000);
  }
}
