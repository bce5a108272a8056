// The "frozen" view of a run kept in its history record: the end of stderr and the last
// progress, metrics and error event, so nothing about a failure is lost with its directory.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { type ProgressSummary, summaryOf } from '../progress/progress-summary.ts';
import { lastRedraw } from '../progress/redrawn-line.ts';
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

/** The last `linesMax` lines of a file, reading at most its last 64 KiB; [] when unreadable. */
export function tailLines(path: string, linesMax: number): string[] {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return [];
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, tailBytesMax);
    const buffer = Buffer.alloc(length);
    const read = readSync(fd, buffer, 0, length, size - length);
    const lines = buffer.subarray(0, read).toString('utf8').split(/\r?\n/);
    if (lines.at(-1) === '') lines.pop();
    // A cut first line is partial: drop it unless the whole file fit.
    if (size > length) lines.shift();
    return lines.slice(-linesMax);
  } catch {
    return [];
  } finally {
    closeSync(fd);
  }
}

/** The final view of a run, read from its directory. */
export function finalViewOf(layout: Layout, runId: string): FinalView {
  return {
    // A person reads this tail: a line tqdm redrew with '\r' is kept as its last state.
    stderrTail: tailLines(layout.runFile(runId, 'stderr'), stderrTailLinesMax).map(lastRedraw),
    progress: summaryOf(progressOfRunDir(layout.runDir(runId), { final: true })),
  };
}
