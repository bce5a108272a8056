// Per-test sandboxes: a fresh directory and a tracker of the processes the test starts, which
// must all be ended (by PID) with nothing left alive when the test is over.
import fs from 'node:fs';
import { afterEach, beforeEach, expect } from 'vitest';

/** Something that ends every process it tracked and returns those it could not end. */
export interface EndsAll {
  endAll(): Promise<readonly unknown[]>;
}

export interface Sandbox<T extends EndsAll> {
  readonly tracker: T;
  readonly runDir: string;
}

/** Register beforeEach/afterEach hooks giving each test a sandbox; read it inside the test. */
export function useSandbox<T extends EndsAll>(
  makeTracker: () => T,
  makeDir: () => string,
): { current(): Sandbox<T> } {
  let sandbox: Sandbox<T> | null = null;
  beforeEach(() => {
    sandbox = { tracker: makeTracker(), runDir: makeDir() };
  });
  afterEach(async () => {
    const ended = sandbox;
    sandbox = null;
    if (ended === null) return;
    expect(await ended.tracker.endAll()).toEqual([]);
    fs.rmSync(ended.runDir, { recursive: true, force: true });
  });
  return {
    current() {
      if (sandbox === null) throw new Error('useSandbox: read it inside a test');
      return sandbox;
    },
  };
}
