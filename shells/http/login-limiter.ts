// Failed token checks per client address: after each failure the address must wait a fixed
// delay before its next try, doubling per failure up to a cap. A guess made during the wait is
// refused without being checked, so the wait bounds the guessing rate whatever the client does.

/** How the delay grows. */
export interface LoginLimits {
  /** The wait after the first failure (ms); it doubles with each further failure. */
  readonly loginDelayBaseMs: number;
  /** The longest wait (ms). */
  readonly loginDelayMaxMs: number;
}

/** Addresses remembered at most; the oldest is forgotten first (a flood cannot grow the map). */
const addressesMax = 10_000;

interface Failures {
  count: number;
  retryAt: number;
}

/** Tracks failed token checks by client address. */
export class LoginLimiter {
  readonly #limits: LoginLimits;
  readonly #now: () => number;
  readonly #byAddress = new Map<string, Failures>();

  constructor(limits: LoginLimits, now: () => number = Date.now) {
    this.#limits = limits;
    this.#now = now;
  }

  /** Milliseconds `address` must still wait before its next token is checked (0: check it now). */
  waitMs(address: string): number {
    const entry = this.#byAddress.get(address);
    return entry === undefined ? 0 : Math.max(0, entry.retryAt - this.#now());
  }

  /** Record a wrong token from `address`; returns the wait now imposed on it (ms). */
  failed(address: string): number {
    const entry = this.#byAddress.get(address) ?? { count: 0, retryAt: 0 };
    entry.count += 1;
    const { loginDelayBaseMs, loginDelayMaxMs } = this.#limits;
    const delayMs = Math.min(loginDelayMaxMs, loginDelayBaseMs * 2 ** Math.min(entry.count - 1, 30));
    entry.retryAt = this.#now() + delayMs;
    this.#byAddress.delete(address);
    this.#byAddress.set(address, entry);
    if (this.#byAddress.size > addressesMax) {
      const oldest = this.#byAddress.keys().next().value;
      if (oldest !== undefined) this.#byAddress.delete(oldest);
    }
    return delayMs;
  }

  /** A right token from `address`: its failures are forgotten. */
  succeeded(address: string): void {
    this.#byAddress.delete(address);
  }
}
