// Bounded polling for tests: wait until a condition holds instead of sleeping a fixed time.

/** How long to keep polling and how often. */
export interface WaitForOptions {
  /** Give up after this long; the wait then rejects with `description`. */
  readonly timeoutMs: number;
  /** Pause between checks. Default 10 ms. */
  readonly intervalMs?: number;
  /** What is awaited, for the timeout message. */
  readonly description?: string;
}

/**
 * Poll `predicate` until it returns a value other than false, null or undefined, and resolve with
 * that value. Rejects with an Error naming `description` when `timeoutMs` passes first, or with
 * whatever the predicate throws. The predicate always runs at least once.
 */
export async function waitFor<T>(
  predicate: () => T | false | null | undefined | Promise<T | false | null | undefined>,
  options: WaitForOptions,
): Promise<T> {
  const intervalMs = options.intervalMs ?? 10;
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value !== false && value !== null && value !== undefined) return value;
    if (Date.now() >= deadline) {
      throw new Error(
        `waitFor: gave up after ${options.timeoutMs} ms waiting for ${options.description ?? 'a condition'}`,
      );
    }
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(intervalMs, Math.max(0, deadline - Date.now()))),
    );
  }
}
