// The "frozen" view of a run kept in its history record: the end of stderr and the last
// progress, metrics and error event, so nothing about a failure is lost with its directory.
import { dirname } from 'node:path';
import { linesOfTail, readRangeConfined } from '../fs/confined-range.ts';
import { type ProgressSummary, summaryOf } from '../progress/progress-summary.ts';
import { lastRedraw } from '../progress/redrawn-line.ts';
import { progressOfRunDir } from '../progress/run-follower.ts';
import type { Layout } from './layout.ts';
import { readExitRecord } from './monitor/exit-record.ts';

/** What the history keeps of a run's last moments. */
export interface FinalView {
  /** The last lines of stderr (at most `stderrTailLinesMax`). */
  readonly stderrTail: readonly string[];
  /** The last progress, phases, metrics (with short series) and error event, if the job had any. */
  readonly progress: ProgressSummary | null;
  /** How the monitor contained the job's tree and wrote its exit, from exit.json; null without one. */
  readonly containment: Containment | null;
}

/** What the monitor's exit record says about containing the job's tree and writing the record. */
export interface Containment {
  /** `cgroup` (a cgroup v2 of the run's own), `subreaper`, or `none` (only the job's group was
   * killed); null from monitors without the field. */
  readonly kind: 'cgroup' | 'subreaper' | 'none' | null;
  /** Processes of the tree still alive after every kill; null when not recorded. */
  readonly leftovers: number | null;
  /** The errno name that delayed the exit record (ENOSPC, EROFS), and for how long; null if none. */
  readonly delayedBy: string | null;
  readonly delayMs: number | null;
}

/** The containment facts of a run's exit record, or null when it has no readable record. */
function containmentOf(layout: Layout, runId: string): Containment | null {
  const read = readExitRecord(layout.runDir(runId), layout.root);
  if (!read.ok || read.value === null) return null;
  const { containment, leftovers, delayedBy, delayMs } = read.value;
  return {
    kind: containment ?? null,
    leftovers: leftovers ?? null,
    delayedBy: delayedBy ?? null,
    delayMs: delayMs ?? null,
  };
}

export const stderrTailLinesMax = 100;
const tailBytesMax = 64 * 1024;

/**
 * The last `linesMax` lines of a file in a run directory, reading at most its last 64 KiB; []
 * when unreadable. The workspace (`root`, by default the run directory's parent) confines the
 * read: a log replaced by a symlink or a FIFO yields a one-line notice, never the outside file.
 */
export function tailLines(path: string, linesMax: number, root = dirname(dirname(path))): string[] {
  const read = readRangeConfined(root, path, -tailBytesMax, tailBytesMax);
  if (!read.ok) return [`runwarden: ${read.error.code}: ${read.error.message}`];
  if (read.value === 'missing') return [];
  // A log capped by --log-max (issue 17) may end its dropped part (zeros) inside this window.
  return linesOfTail(read.value, linesMax).filter((line) => !line.includes('\0'));
}

/** The final view of a run, read from its directory. */
export function finalViewOf(layout: Layout, runId: string): FinalView {
  return {
    // A person reads this tail: a line tqdm redrew with '\r' is kept as its last state.
    stderrTail: tailLines(layout.runFile(runId, 'stderr'), stderrTailLinesMax, layout.root).map(lastRedraw),
    progress: summaryOf(progressOfRunDir(layout.runDir(runId), { final: true })),
    containment: containmentOf(layout, runId),
  };
}
