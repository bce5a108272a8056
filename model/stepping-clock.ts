// XState's SimulatedClock, stepped timer by timer so every timer fires at its own time and the
// promises it settles run before the next one (deterministic simulated time for the model).
import { SimulatedClock } from 'xstate';

/** Let every pending promise continuation run (they all precede the next macrotask). */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class SteppingClock extends SimulatedClock {
  private readonly dueAt = new Map<number, number>();

  override setTimeout(fn: (...args: unknown[]) => void, timeout: number): number {
    let id = -1;
    id = super.setTimeout(() => {
      this.dueAt.delete(id);
      fn();
    }, timeout);
    this.dueAt.set(id, this.now() + timeout);
    return id;
  }

  override clearTimeout(id: number): void {
    this.dueAt.delete(id);
    super.clearTimeout(id);
  }

  /** The earliest time a pending timer is due, or null when none is pending. */
  nextDueAt(): number | null {
    let next: number | null = null;
    for (const at of this.dueAt.values()) if (next === null || at < next) next = at;
    return next;
  }

  /** Advance by `ms`, firing timers one due time at a time and settling promises in between. */
  async advance(ms: number, stepsMax = 10_000): Promise<void> {
    const target = this.now() + ms;
    await flushMicrotasks();
    for (let steps = 0; steps < stepsMax; steps++) {
      const next = this.nextDueAt();
      if (next === null || next > target) break;
      this.set(Math.max(next, this.now()));
      await flushMicrotasks();
    }
    if (this.now() < target) this.set(target);
    await flushMicrotasks();
  }
}
