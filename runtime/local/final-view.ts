// The "frozen" view of a run kept in its history record: the end of stderr and the last
// progress, metrics and error event, so nothing about a failure is lost with its directory.
import { dirname } from 'node:path';
import { closeQuietly } from '../fs/cleanup.ts';
import { openConfined, readUpTo } from '../fs/confined.ts';
import { type ProgressSummary, summaryOf } from '../progress/progress-summary.ts';
import { progressOfRunDir } from '../progress/run-follower.ts';
import type { Layout } from './layout.ts';

/** What the history keeps of a run's last moments. */
export interface FinalView {
  /** The last lines of stderr (at most `stderrTailLinesMax`). */
  readonly stderrTail: readonly string[];
  /** The last progress, phase, metrics (with short series) and error event, if the job had any. */
  readonly progress: ProgressSummary | null;
}

export const stderrTailLinesMax = 100;
const tailBytesMax = 64 * 1024;

/**
 * The last `linesMax` lines of a file in a run directory, reading at most its last 64 KiB; []
 * when unreadable. The workspace (`root`, by default the run directory's parent) confines the
 * read: a log replaced by a symlink or a FIFO yields a one-line notice, never the outside file.
 */
export function tailLines(path: string, linesMax: number, root = dirname(dirname(path))): string[] {
  const opened = openConfined(root, path);
  if (!opened.ok) return [`runwarden: ${opened.error.code}: ${opened.error.message}`];
  if (opened.value === 'missing') return [];
  const { fd, sizeBytes: size } = opened.value;
  try {
    const length = Math.min(size, tailBytesMax);
    const bytes = readUpTo(fd, length, size - length);
    const lines = Buffer.from(bytes).toString('utf8').split(/\r?\n/);
    if (lines.at(-1) === '') lines.pop();
    // A cut first line is partial: drop it unless the whole file fit.
    if (size > length) lines.shift();
    return lines.slice(-linesMax);
  } catch {
    return [];
  } finally {
    closeQuietly(fd);
  }
}

/** The final view of a run, read from its directory. */
export function finalViewOf(layout: Layout, runId: string): FinalView {
  return {
    stderrTail: tailLines(layout.runFile(runId, 'stderr'), stderrTailLinesMax, layout.root),
    progress: summaryOf(progressOfRunDir(layout.runDir(runId), { final: true })),
  };
}
