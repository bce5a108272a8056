// Follows the active run's directory for the server: its progress (RunFollower) and log tails.
import { statSync } from 'node:fs';
import { RunFollower } from '../api/progress.ts';
import { logTailLines } from '../api/run-files.ts';
import { lastRedraw } from '../api/terminal-text.ts';
import type { Workspace } from '../api/workspace.ts';
import { type ProgressView, progressViewOf } from './progress-view.ts';

/** Where the workspace's files are. */
type Layout = Workspace['layout'];

/** Lines of each log a client gets, and the longest line sent (longer ones are cut). */
export const logLinesMax = 40;
export const logLineCharsMax = 2000;

/** The last lines of a run's stdout and stderr. */
export interface LogTails {
  readonly stdout: readonly string[];
  readonly stderr: readonly string[];
}

/** A file's size, -1 when it cannot be read. */
function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return -1;
  }
}

/** The tail of one log (read confined to the workspace), each line its last `\r` redraw (tqdm), cut to `logLineCharsMax`. */
export function logTailOf(layout: Layout, path: string): string[] {
  return logTailLines(layout, path, logLinesMax)
    .map(lastRedraw)
    .map((l) => (l.length > logLineCharsMax ? `${l.slice(0, logLineCharsMax)}…` : l));
}

/** What changed since the last look: a new progress view, new log tails, or nothing (null). */
export interface RunLook {
  readonly progress: ProgressView | null;
  readonly logs: LogTails | null;
}

/** Follows one run directory; each `look()` reads at most `pollBytesMax` per file. */
export class RunWatch {
  readonly runId: string;
  readonly #layout: Layout;
  readonly #follower: RunFollower;
  #progressJson = '';
  #sizes = '';
  progress: ProgressView | null = null;

  /** The incremental follower of this run (status views share it instead of re-reading files). */
  get follower(): RunFollower {
    return this.#follower;
  }
  logs: LogTails = { stdout: [], stderr: [] };

  constructor(layout: Layout, runId: string) {
    this.runId = runId;
    this.#layout = layout;
    this.#follower = new RunFollower(layout.runDir(runId), { pollBytesMax: 1024 * 1024 });
  }

  /** Read what the job appended; report only what changed. `final` once the job has ended. */
  look(final = false): RunLook {
    const view = progressViewOf(this.#follower.poll({ final }));
    const json = JSON.stringify(view);
    let progress: ProgressView | null = null;
    if (json !== this.#progressJson) {
      this.#progressJson = json;
      this.progress = view;
      progress = view;
    }
    const out = this.#layout.runFile(this.runId, 'stdout');
    const err = this.#layout.runFile(this.runId, 'stderr');
    const sizes = `${sizeOf(out)}:${sizeOf(err)}`;
    let logs: LogTails | null = null;
    // A deleted directory (retention) keeps the last tails seen: they are the frozen view.
    if (sizes !== this.#sizes && sizes !== '-1:-1') {
      this.#sizes = sizes;
      this.logs = { stdout: logTailOf(this.#layout, out), stderr: logTailOf(this.#layout, err) };
      logs = this.logs;
    }
    return { progress, logs };
  }
}
