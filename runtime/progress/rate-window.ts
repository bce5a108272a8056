// Speed and time left of a job that reports its own progress, measured over a recent window.

/** A position the job reported, at the time it wrote it. */
export interface RateSample {
  readonly atMs: number;
  readonly step: number | null;
  readonly percent: number | null;
}

/** Speed and estimate; null when not measurable yet. */
export interface Rate {
  readonly stepsPerS: number | null;
  readonly etaMs: number | null;
}

/** The rate is measured over about this much of the job's recent history. */
export const rateWindowMs = 30_000;
/** Samples kept at most; they are spaced so that they span the window. */
export const rateSamplesMax = 12;
const spacingMs = rateWindowMs / 10;

/**
 * Adds `now` to `samples` (in place; at most `rateSamplesMax`, at least `spacingMs` apart, at most
 * one older than the window) and measures from the oldest sample inside the window (or the newest
 * one before it when the window is empty) to `now`. A position that goes backwards restarts the
 * measurement. The ETA uses steps and `total` when known, else percent. Times are the job's own.
 */
export function updateRate(samples: RateSample[], now: RateSample, total: number | null): Rate {
  const newest = samples.at(-1);
  if (newest !== undefined && wentBack(newest, now)) samples.length = 0;
  const cutoffMs = now.atMs - rateWindowMs;
  const base = samples.find((sample) => sample.atMs >= cutoffMs) ?? samples.at(-1);
  const last = samples.at(-1);
  if (last === undefined || now.atMs - last.atMs >= spacingMs) samples.push(now);
  // Each pass drops one sample, so this runs at most rateSamplesMax + 1 times.
  while (samples.length > rateSamplesMax || (samples.length >= 2 && (samples[1]?.atMs ?? 0) < cutoffMs)) {
    samples.shift();
  }
  if (base === undefined) return { stepsPerS: null, etaMs: null };
  return measure(base, now, total);
}

/** True when the position moved backwards (a restart or a new phase the job did not name). */
function wentBack(before: RateSample, now: RateSample): boolean {
  if (before.step !== null && now.step !== null) return now.step < before.step;
  if (before.percent !== null && now.percent !== null) return now.percent < before.percent;
  return false;
}

/** Speed between two samples and the time left at that speed. */
function measure(base: RateSample, now: RateSample, total: number | null): Rate {
  const elapsedS = (now.atMs - base.atMs) / 1000;
  if (!(elapsedS > 0)) return { stepsPerS: null, etaMs: null };
  const stepsPerS = base.step !== null && now.step !== null ? (now.step - base.step) / elapsedS : null;
  const percentPerS =
    base.percent !== null && now.percent !== null ? (now.percent - base.percent) / elapsedS : null;
  let etaMs: number | null = null;
  if (total !== null && now.step !== null && stepsPerS !== null && stepsPerS > 0) {
    etaMs = Math.round((Math.max(0, total - now.step) / stepsPerS) * 1000);
  } else if (now.percent !== null && percentPerS !== null && percentPerS > 0) {
    etaMs = Math.round(((100 - now.percent) / percentPerS) * 1000);
  }
  return { stepsPerS, etaMs };
}
