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

/** What identifies one bar: a different description or total, or a step back, is another bar. */
export interface BarIdentity {
  readonly description: string | null;
  readonly total: number | null;
  readonly step: number;
}

/** The last bar parsed from the logs, its description, its rate samples and the bars before it. */
export interface ParsedLaneDraft {
  counters: ProgressCounters | null;
  message: string | null;
  /** Positions of the current bar on its own clock (tqdm's elapsed), for our own rate and ETA. */
  samples: RateSample[];
  bar: BarIdentity | null;
  /** Descriptions of the bars that were replaced by another (parsed phases done), first seen first. */
  done: string[];
}

/** Most bar descriptions remembered as phases done. */
export const barPhasesMax = 100;

/** A job's ETA is believed when our own differs from it by less than this factor. */
const etaAgreementFactor = 3;

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

/**
 * Replaces the lane's bar with a parsed one, whole (a bar is a complete statement). A bar whose
 * description or total differs, or whose step went back, is a new bar: the one before it, when it
 * had a description, is listed as a phase done. The ETA is tqdm's own unless it is missing, zero
 * before the end, or off by `etaAgreementFactor` from the rate measured over the bar's own clock
 * (see `updateRate`); then it is ours (or, before we can measure, from tqdm's printed rate).
 */
export function replaceParsed(lane: ParsedLaneDraft, event: ProgressEvent): void {
  const step = event.step ?? null;
  const total = event.total ?? null;
  const derived = step !== null && total !== null && total > 0 ? Math.min(100, (100 * step) / total) : null;
  const description = event.message ?? null;
  const before = lane.bar;
  const newBar =
    before !== null &&
    (before.description !== description || before.total !== total || (step ?? 0) < before.step);
  if (newBar) {
    if (before.description !== null) notePhaseDone(lane.done, before.description);
    lane.samples.length = 0;
  }
  lane.bar = { description, total, step: step ?? 0 };
  const percent = event.percent ?? derived;
  const ours =
    event.elapsedMs === undefined
      ? { stepsPerS: null, etaMs: null }
      : updateRate(lane.samples, { atMs: event.elapsedMs, step, percent }, total);
  lane.counters = {
    percent,
    step,
    total,
    stepsPerS: event.stepsPerS ?? ours.stepsPerS,
    etaMs: believedEta(event.etaMs ?? null, ours.etaMs, step, total, event.stepsPerS ?? null),
  };
  lane.message = description;
}

/** Adds a bar's description to the phases done (once, bounded). */
function notePhaseDone(done: string[], name: string): void {
  if (!done.includes(name) && done.length < barPhasesMax) done.push(name);
}

/** The ETA to show of a bar: tqdm's, unless missing, zero before the end, or contradicted by ours. */
function believedEta(
  printed: number | null,
  ours: number | null,
  step: number | null,
  total: number | null,
  printedRate: number | null,
): number | null {
  const left = step !== null && total !== null ? Math.max(0, total - step) : null;
  if (left === 0) return 0;
  const fallback =
    ours ??
    (left !== null && printedRate !== null && printedRate > 0
      ? Math.round((left / printedRate) * 1000)
      : null);
  if (printed === null || printed <= 0) return fallback;
  if (ours === null) return printed;
  const ratio = printed / Math.max(1, ours);
  return ratio > etaAgreementFactor || ratio < 1 / etaAgreementFactor ? ours : printed;
}
