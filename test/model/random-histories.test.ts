// Proves every invariant holds after every step of random histories (commands, crashes, faults,
// reboots, time) driving the real machine against the model world; a failure prints its seed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { historyArb, runHistory } from '../../model/histories.ts';
import { fcParams, fcTimeoutMs } from './fc-config.ts';

let historiesRun = 0;

describe('random histories', () => {
  it(
    'keep every safety invariant after every step and at rest',
    async () => {
      const params = fcParams(1_000);
      await fc.assert(
        fc.asyncProperty(historyArb, async (steps) => {
          historiesRun += 1;
          const bad = await runHistory(steps);
          expect(bad).toEqual([]);
        }),
        params,
      );
      console.log(`random histories: ${historiesRun} run (replay one with RW_FC_SEED=… RW_FC_PATH=…)`);
      expect(historiesRun).toBeGreaterThanOrEqual(params.numRuns ?? 0);
    },
    fcTimeoutMs(1_000),
  );
});
