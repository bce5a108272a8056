// Test support for the crash-point sweep: count the durable steps (create, write, fsync, rename,
// link, unlink, append) a real runwarden command takes (RW_CRASH_TRACE), SIGKILL it right before
// each one in turn (RW_CRASH_AT=N), recover with a fresh process and check the invariants.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { waitFor } from '../../../helpers/wait-for.ts';
import { isGoneOrZombie } from '../monitor/processes.ts';
import { type CliResult, jsonOf } from './cli.ts';
import { claimsIn, historyIdsIn, indexCountsIn, lockOf, strayTmpFilesIn } from './disk.ts';
import { type Ended, listRuns } from './invariants.ts';
import { processesOf } from './leftovers.ts';
import { type Scene, WAIT_MS } from './scene.ts';

/** One durable step of a traced command: its number, the operation and the file's base name. */
export interface Step {
  readonly n: number;
  readonly label: string;
}

/** The steps a command traced into `file` (RW_CRASH_TRACE), in order. */
export function stepsIn(file: string): Step[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      const at = line.indexOf(' ');
      return { n: Number(line.slice(0, at)), label: line.slice(at + 1) };
    });
}

/** The environment that kills a command right before its `n`th durable step, tracing into `trace`. */
export function crashEnv(trace: string, n: number | null): Record<string, string> {
  return n === null ? { RW_CRASH_TRACE: trace } : { RW_CRASH_TRACE: trace, RW_CRASH_AT: String(n) };
}

/**
 * Run ids that took the workspace lock, read from the disk: the lock, claims, history, and run
 * directories with a lifecycle journal (appended only once the lock is held). A run directory
 * without one belongs to a start that died before linking its lock: it never took the lock.
 */
export function lockedRunIds(ws: string): string[] {
  const ids = new Set<string>();
  try {
    const lock = lockOf(ws);
    if (lock !== null) ids.add(lock.runId);
  } catch {
    // An unreadable lock names no run; recovery quarantines it.
  }
  for (const claim of claimsIn(ws)) {
    try {
      ids.add(JSON.parse(fs.readFileSync(path.join(ws, claim), 'utf8')).runId);
    } catch {
      // idem
    }
  }
  for (const entry of fs.existsSync(ws) ? fs.readdirSync(ws, { withFileTypes: true }) : []) {
    if (entry.isDirectory() && entry.name !== 'history' && hasJournal(ws, entry.name)) ids.add(entry.name);
  }
  for (const id of historyIdsIn(ws)) ids.add(id);
  return [...ids].sort();
}

const hasJournal = (ws: string, dir: string) => fs.existsSync(path.join(ws, dir, 'lifecycle.ndjson'));

/**
 * Run directories of starts that died before taking the lock (no journal, no history): they hold
 * no lock and nothing names them; harmless leftovers, reported by the sweep like stray tmp files.
 */
export function neverLockedRunDirsIn(ws: string): string[] {
  const recorded = new Set(historyIdsIn(ws));
  return (fs.existsSync(ws) ? fs.readdirSync(ws, { withFileTypes: true }) : [])
    .filter(
      (e) => e.isDirectory() && e.name !== 'history' && !recorded.has(e.name) && !hasJournal(ws, e.name),
    )
    .map((e) => `${e.name}/`);
}

/** The job processes of the workspace now alive (monitors and CLI processes excluded). */
export function liveJobsOf(ws: string, fixture: string): number[] {
  return processesOf(ws)
    .filter((p) => p.cmdline.includes(fixture) && !p.cmdline.includes('rw-monitor'))
    .map((p) => p.pid);
}

/** `runwarden status --json` as a fresh recovering process: must succeed. */
export async function recover(scene: Scene): Promise<{ state: string; run: { id: string } | null }> {
  const status = await scene.cli(['status', '--json']);
  expect(status, status.stderr).toMatchObject({ code: 0, signal: null });
  return jsonOf(status);
}

/** Wait until no job of `fixture` lives in the workspace (bounded). */
export function waitNoJob(scene: Scene, fixture: string, timeoutMs = WAIT_MS): Promise<true> {
  return waitFor(() => liveJobsOf(scene.ws, fixture).length === 0 || null, {
    timeoutMs,
    description: `no ${fixture} job left in ${scene.ws}`,
  });
}

/** The crash really happened there: the process died by SIGKILL right after tracing step n. */
export function expectCrashedAt(result: CliResult, trace: string, n: number): void {
  expect(result, `crash at step ${n}: ${result.stderr}`).toMatchObject({ code: null, signal: 'SIGKILL' });
  expect(stepsIn(trace).at(-1)?.n ?? 0).toBe(n);
}

/**
 * Every run that took the lock ended with exactly one record (history file and index line), as
 * `expected` says; no lock, claim or process is left. Returns the stray tmp files a crash between
 * a create and its rename leaves behind, and the run directories of starts that died before
 * taking the lock (harmless; reported by the sweep, not asserted).
 */
export async function expectEachRecordedOnce(
  scene: Scene,
  runIds: readonly string[],
  expected: (id: string) => Partial<Ended>,
): Promise<string[]> {
  const listed = await listRuns(scene);
  expect(listed.map((r) => r.id).sort()).toEqual([...runIds].sort());
  for (const run of listed) expect(run).toMatchObject(expected(run.id));
  expect(historyIdsIn(scene.ws).sort()).toEqual([...runIds].sort());
  expect(indexCountsIn(scene.ws)).toEqual(Object.fromEntries(runIds.map((id) => [id, 1])));
  expect(lockOf(scene.ws)).toBeNull();
  expect(claimsIn(scene.ws)).toEqual([]);
  expect(await scene.leftovers.settle()).toEqual([]);
  return [...strayTmpFilesIn(scene.ws), ...neverLockedRunDirsIn(scene.ws)];
}

/** Whether `pid` (a job) is gone; for readability in scenarios. */
export const jobGone = (pid: number) => isGoneOrZombie(pid);
