// The two lanes of progress counters: what the job reported itself, and the last parsed bar.
import type { ProgressEvent } from './events.ts';
import { type RateSample, updateRate } from './rate-window.ts';
import type { ProgressCounters } from './run-view.ts';

/** The job's own counters in the current phase, its last message and the rate samples (in place). */
export interface ExplicitLaneDraft {
  counters: ProgressCounters | null;
  message: string | null;
  samples: RateSample[];
}

/** The last bar parsed from the logs and its description. */
export interface ParsedLaneDraft {
  counters: ProgressCounters | null;
  message: string | null;
}

/**
 * Merges an explicit progress event (its phase already handled) into the lane: fields it gives
 * replace, fields it leaves out stay; percent follows step and total unless given; the rate is
 * measured over the job's own times (see `updateRate`).
 */
export function mergeExplicit(lane: ExplicitLaneDraft, event: ProgressEvent): void {
  if (event.message !== undefined) lane.message = event.message;
  if (event.percent === undefined && event.step === undefined && event.total === undefined) return;
  const before = lane.counters;
  const total = event.total ?? before?.total ?? null;
  const step = event.step ?? before?.step ?? null;
  let percent = event.percent ?? before?.percent ?? null;
  if (event.percent === undefined && event.step !== undefined && total !== null && total > 0) {
    percent = Math.min(100, (100 * event.step) / total);
  }
  let rate = { stepsPerS: before?.stepsPerS ?? null, etaMs: before?.etaMs ?? null };
  if (event.step !== undefined || event.percent !== undefined) {
    rate = updateRate(lane.samples, { atMs: event.atMs, step, percent }, total);
  }
  lane.counters = {
    percent,
    step,
    total,
    stepsPerS: event.stepsPerS ?? rate.stepsPerS,
    etaMs: event.etaMs ?? rate.etaMs,
  };
}

/** Replaces the lane's bar with a parsed one, whole (a bar is a complete statement). */
export function replaceParsed(lane: ParsedLaneDraft, event: ProgressEvent): void {
  const step = event.step ?? null;
  const total = event.total ?? null;
  const derived = step !== null && total !== null && total > 0 ? Math.min(100, (100 * step) / total) : null;
  lane.counters = {
    percent: event.percent ?? derived,
    step,
    total,
    stepsPerS: event.stepsPerS ?? null,
    etaMs: event.etaMs ?? null,
  };
  lane.message = event.message ?? null;
}
