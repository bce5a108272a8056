// Sample summaries for the results table: min/median/p90/max of one tool's samples, and the
// ratio of two tools' medians measured in the same run.

/** Order statistics of a series; NaN everywhere for an empty one. */
export interface Summary {
  n: number;
  min: number;
  median: number;
  p90: number;
  max: number;
}

/** Summarises `samples` (not modified); quantiles by nearest rank. */
export function summarize(samples: readonly number[]): Summary {
  const s = samples.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
  return { n: s.length, min: at(0), median: at(0.5), p90: at(0.9), max: at(1) };
}

/** `a / b` of two medians, NaN when either is missing. */
export function ratio(a: number, b: number): number {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : Number.NaN;
}
