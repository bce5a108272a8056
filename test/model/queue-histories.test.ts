// Proves the queue invariants of issue 12 after every step of random histories driving the real
// dispatch machine (and the lifecycle's recovery decisions) against the model queue world:
// submitters, dispatchers, crashes at any step, holds, reboots, PID reuse; then at rest every
// submitted run ended in exactly one history record. A failure prints its seed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { queueHistoryArb, runQueueHistory } from '../../model/queue-histories.ts';
import { fcParams, fcTimeoutMs } from './fc-config.ts';

let historiesRun = 0;

describe('random queue histories', () => {
  it(
    'keep every queue invariant after every step, and end every submitted run once at rest',
    async () => {
      const params = fcParams(200);
      await fc.assert(
        fc.asyncProperty(queueHistoryArb, async (steps) => {
          historiesRun += 1;
          expect(await runQueueHistory(steps)).toEqual([]);
        }),
        params,
      );
      console.log(`random queue histories: ${historiesRun} run (replay one with RW_FC_SEED=… RW_FC_PATH=…)`);
      expect(historiesRun).toBeGreaterThanOrEqual(params.numRuns ?? 0);
    },
    fcTimeoutMs(200, 150),
  );

  it(
    'keep every queue invariant with each slot recovered and each run started by the real lifecycle machine',
    async () => {
      const params = fcParams(30);
      let n = 0;
      await fc.assert(
        fc.asyncProperty(queueHistoryArb, async (steps) => {
          n += 1;
          expect(await runQueueHistory(steps, { slotActors: true })).toEqual([]);
        }),
        params,
      );
      console.log(`random queue histories with slot lifecycle actors: ${n} run`);
    },
    fcTimeoutMs(30, 1_000),
  );

  it('found by a deep pass: a requeued run started again and lost in a reboot is recorded once (the discard removed its first exit record)', async () => {
    const steps = [
      {
        kind: 'submit',
        ms: 1,
        code: 0,
        priority: 0,
        gpus: 0,
        held: false,
        after: null,
        afterOk: null,
        dispatch: false,
      },
      { kind: 'dispatch', diesAfterMs: 14 },
      { kind: 'advance', ms: 35 },
      { kind: 'reboot' },
    ] as const;
    expect(await runQueueHistory(steps)).toEqual([]);
    expect(await runQueueHistory(steps, { slotActors: true })).toEqual([]);
  });

  // Retries, a dead claim dropped and a conflict restored are rare here: test/machine/dispatch.test.ts has each.
  it('visit the resting states of the dispatch machine', async () => {
    const visited = new Set<string>();
    for (const steps of fc.sample(queueHistoryArb, { numRuns: 150, seed: 12 })) {
      expect(await runQueueHistory(steps, { visited })).toEqual([]);
    }
    const expected = [
      { reading: 'trying' },
      { holding: 'trying' },
      { accounting: { restoring: 'trying' } },
      { claiming: 'trying' },
      'starting',
      { droppingClaim: 'trying' },
      { ending: 'trying' },
      'done',
    ].map((v) => JSON.stringify(v));
    expect(expected.filter((v) => !visited.has(v))).toEqual([]);
  }, 120_000);
});
