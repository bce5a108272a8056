// Watches a live local job for the machine: its exit record (the monitor writes it), its
// disappearance without one, and signs of life (growth of its logs or events file).
import { type FSWatcher, statSync, watch } from 'node:fs';
import type { JobReport } from '../../machine/ports.ts';
import type { LockRecord } from '../../machine/types.ts';
import { checkpointPath, readCheckpointFacts, readCheckpointRequest } from './checkpoint-control.ts';
import { pausedPath, readPause } from './checkpoint-pause.ts';
import { probeJob } from './job-liveness.ts';
import type { Layout } from './layout.ts';
import { readExitRecord } from './monitor/exit-record.ts';
import { readAbortRequest } from './run-records.ts';

export interface WatchOptions {
  /** How often to look when no filesystem notification comes (also the liveness probe period). */
  readonly pollMs: number;
  readonly now: () => number;
}

const activityFiles = ['stdout', 'stderr', 'events'] as const;

/** A cheap key of a file's version (inode, size, mtime): the abort record is read only when it changes. */
function versionOf(path: string): string {
  try {
    const st = statSync(path);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return 'none';
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * Start watching; `report` receives each fact once (`process.exited` or `process.lost` end the
 * watch). Returns the function that stops it. The exit record is read after probing, so a job
 * that exits between the two is reported exited, never lost.
 */
export function watchJob(
  layout: Layout,
  lock: LockRecord,
  options: WatchOptions,
  report: (r: JobReport) => void,
) {
  const runId = lock.runId;
  const sizes = activityFiles.map((f) => sizeOf(layout.runFile(runId, f)));
  const abortPath = layout.runFile(runId, 'abort');
  // A record already there is reported too: the machine ignores one it already carries out.
  let abortSeen = 'none';
  const pausePath = pausedPath(layout, runId);
  let pauseSeen = 'none';
  const requestPath = checkpointPath(layout, runId);
  let requestSeen = 'none';
  let ended = false;

  const look = () => {
    if (ended || lock.job === null) return;
    const liveness = probeJob(lock.job);
    const exit = readExitRecord(layout.runDir(runId), layout.root);
    if (exit.ok && exit.value !== null) {
      ended = true;
      report({
        type: 'process.exited',
        exit: exit.value,
        abort: readAbortRequest(layout, runId),
        checkpoint: readCheckpointFacts(layout, runId),
      });
      return;
    }
    if (liveness.state === 'gone') {
      ended = true;
      const reason = exit.ok ? liveness.reason : 'exit-record-corrupt';
      report({ type: 'process.lost', reason, at: options.now() });
      return;
    }
    // Another process recorded (or escalated) an abort: this watcher's machine takes it over.
    const abortNow = versionOf(abortPath);
    if (abortNow !== abortSeen) {
      abortSeen = abortNow;
      const abort = readAbortRequest(layout, runId);
      if (abort !== null) report({ type: 'abort.recorded', abort, at: options.now() });
    }
    // Issue 14: a checkpoint request appeared (another process asked): every watcher shows it.
    const requestNow = versionOf(requestPath);
    if (requestNow !== requestSeen) {
      requestSeen = requestNow;
      const request = readCheckpointRequest(layout, runId);
      if (request !== null) report({ type: 'checkpoint.recorded', request, at: options.now() });
    }
    // Issue 14: another process paused or continued the run: every watcher shows it.
    const pauseNow = versionOf(pausePath);
    if (pauseNow !== pauseSeen) {
      pauseSeen = pauseNow;
      const at = readPause(layout, runId);
      report(at === null ? { type: 'job.continued', at: options.now() } : { type: 'job.paused', at });
    }
    const now = activityFiles.map((f) => sizeOf(layout.runFile(runId, f)));
    if (now.some((size, i) => size !== sizes[i])) {
      now.forEach((size, i) => {
        sizes[i] = size;
      });
      report({ type: 'job.activity', at: options.now() });
    }
  };

  let watcher: FSWatcher | null = null;
  try {
    // The exit record lands by rename into the run directory: be told at once rather than polled.
    watcher = watch(layout.runDir(runId), (_event, name) => {
      if (name === 'exit.json' || name === 'abort.json') look();
    });
    watcher.on('error', () => watcher?.close());
  } catch {
    watcher = null;
  }
  const timer = setInterval(look, options.pollMs);
  // The first look happens after the caller's actor has started (reports during start are dropped).
  const first = setTimeout(look, 0);
  return () => {
    ended = true;
    clearInterval(timer);
    clearTimeout(first);
    watcher?.close();
  };
}
