// Bounded retries with exponential back-off: the one rule every retry of the machine follows
// (a failed claim, a failed finalising step). Pure: the delay is a function of the attempt count.

/** How a failed step is retried: the first delay, the largest, and how many attempts in all. */
export interface RetryPolicy {
  /** Delay after the first failure; doubles after each further one. */
  readonly baseMs: number;
  /** No delay grows past this. */
  readonly capMs: number;
  /** Attempts in all (the first try included); the step then gives up with its error. */
  readonly attemptsMax: number;
}

/** About 11 s from the first failure to giving up: 0.1 + 0.2 + … + 3.2 + 5 s. */
export const defaultRetry: RetryPolicy = { baseMs: 100, capMs: 5_000, attemptsMax: 8 };

/** The delay before the next try after `failures` failed attempts (>= 1). */
export function backoffMs(policy: RetryPolicy, failures: number): number {
  const exponent = Math.max(0, Math.min(failures - 1, 30));
  return Math.min(policy.capMs, policy.baseMs * 2 ** exponent);
}

/** True when `failures` failed attempts used up the policy: give up instead of retrying. */
export function retriesExhausted(policy: RetryPolicy, failures: number): boolean {
  return failures >= policy.attemptsMax;
}
