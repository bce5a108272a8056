// A run's progress as the API hands it out: follow its directory incrementally (RunFollower) or
// read it once, and the compact summary status and history records carry.
import {
  badEventsOf,
  type CurrentNumbers,
  type ProgressSummary,
  roundPercent,
  roundRate,
  summaryOf,
  thin,
} from '../../runtime/progress/progress-summary.ts';
import {
  type PollOptions,
  progressOfRunDir,
  RunFollower,
  type RunFollowerOptions,
} from '../../runtime/progress/run-follower.ts';
import type { ProgressState } from '../../runtime/progress/run-view.ts';

export type { CurrentNumbers, PollOptions, ProgressState, ProgressSummary, RunFollowerOptions };
/**
 * Follows one run directory: each `poll()` reads only what the job appended since the last one
 * (events, and progress bars and metric lines in its logs) and returns the progress state.
 */
/** The progress state of a run directory read once from the start (bounded). */
/** The summary of a progress state (null when the job reported nothing). */
/** At most `max` items, evenly spread, always including the last (for plots and records). */
/** A percent rounded for views (one decimal), and a rate to four significant digits. */
export { badEventsOf, progressOfRunDir, RunFollower, roundPercent, roundRate, summaryOf, thin };
