// Proves, with fast-check's scheduler choosing the order of every queue operation, that
// concurrent submitters and dispatchers (and a dispatcher SIGKILLed at a chosen operation) keep
// every queue invariant at every step, start each entry at most once, and end every run once.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QueueSimulation, type SubmitSpec } from '../../model/queue-harness.ts';
import { queueQuiescentViolations, queueViolations } from '../../model/queue-invariants.ts';
import { slotSpecs } from '../../model/queue-world.ts';
import { fcParams, fcTimeoutMs } from './fc-config.ts';

/** Release scheduled operations one at a time, checking the invariants after each (bounded). */
async function drive(
  sim: QueueSimulation,
  s: fc.Scheduler,
  onStep: () => void = () => {},
): Promise<string[]> {
  for (let round = 0; round < 40; round++) {
    for (let i = 0; i < 2_000 && s.count() > 0; i++) {
      await s.waitOne();
      await sim.clock.advance(0);
      onStep();
      const bad = queueViolations(sim);
      if (bad.length > 0) return bad;
    }
    if (sim.living().length === 0 && sim.world.liveJobs().length === 0) return [];
    // Let jobs run and end (their monitors' kicks boot more dispatchers).
    await sim.clock.advance(150);
  }
  return [];
}

const specArb: fc.Arbitrary<SubmitSpec> = fc.record({
  ms: fc.integer({ min: 10, max: 300 }),
  code: fc.constantFrom(0, 3),
  priority: fc.integer({ min: 0, max: 2 }),
  gpus: fc.constantFrom(0, 1, 2),
});

describe('queue races', () => {
  it.each([
    { slotActors: false, runs: 100 },
    { slotActors: true, runs: 30 },
  ])(
    'of concurrent submitters and dispatchers keep every invariant and end every run once (slot lifecycle actors: $slotActors)',
    async ({ slotActors, runs }) => {
      await fc.assert(
        fc.asyncProperty(
          fc.scheduler(),
          fc.array(specArb, { minLength: 2, maxLength: 6 }),
          fc.integer({ min: 2, max: 4 }),
          fc.boolean(),
          async (s, specs, dispatchers, chain) => {
            const sim = new QueueSimulation({ slots: slotSpecs(2, 1, 1), slotActors });
            sim.world.scheduler = s;
            let previous: string | null = null;
            let published: Promise<void> = Promise.resolve();
            for (const spec of specs) {
              // Each submitter publishes its entry when the scheduler lets it, then dispatches. A
              // chained one names the previous run, published first (submit refuses an unknown run).
              const after: string | null = chain ? previous : null;
              const entry = sim.submit({ ...spec, ...(after === null ? {} : { afterOk: [after] }) });
              sim.world.entries.delete(entry.runId);
              sim.world.submitted.delete(entry.runId);
              previous = entry.runId;
              const publish = async () => {
                await s.schedule(Promise.resolve(), `submit ${entry.runId}`);
                sim.world.submit(entry);
                sim.dispatch();
              };
              published = chain ? published.then(publish) : publish();
            }
            for (let i = 0; i < dispatchers; i++) sim.dispatch();
            expect(await drive(sim, s)).toEqual([]);
            sim.world.scheduler = null;
            expect(await sim.settle()).toBe(true);
            expect(queueQuiescentViolations(sim)).toEqual([]);
            expect(sim.world.submitted.size).toBe(specs.length);
          },
        ),
        fcParams(runs),
      );
    },
    // The runs of the slower mode bound every deep pass (RW_FC_RUNS applies to both).
    fcTimeoutMs(30, 1_000),
  );

  it(
    'of dispatchers, one SIGKILLed at a chosen operation, lose no entry and start none twice',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.scheduler(),
          fc.integer({ min: 2, max: 3 }),
          fc.nat({ max: 30 }),
          async (s, dispatchers, killAt) => {
            const sim = new QueueSimulation({ slots: slotSpecs(0, 0, 2) });
            for (let i = 0; i < 4; i++) sim.submit({ ms: 50, code: 0 });
            sim.world.scheduler = s;
            const victim = sim.dispatch();
            for (let i = 1; i < dispatchers; i++) sim.dispatch();
            let ops = 0;
            const bad = await drive(sim, s, () => {
              ops += 1;
              if (ops === killAt) sim.crash(victim);
            });
            expect(bad).toEqual([]);
            sim.world.scheduler = null;
            expect(await sim.settle()).toBe(true);
            expect(queueQuiescentViolations(sim)).toEqual([]);
            for (const runId of sim.world.submitted.keys())
              expect(sim.world.released.get(runId) ?? 0).toBeLessThanOrEqual(1);
          },
        ),
        fcParams(100),
      );
    },
    fcTimeoutMs(100, 200),
  );
});

describe('the monitors kicks alone', () => {
  it(
    'carry the queue through once the command that dispatched is SIGKILLed at any step after a job started',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ ms: fc.integer({ min: 20, max: 400 }), code: fc.constantFrom(0, 0, 3) }), {
            minLength: 12,
            maxLength: 12,
          }),
          fc.integer({ min: 16, max: 120 }),
          async (specs, killAtMs) => {
            // 4 slots, 12 entries, 3 ms per operation: the command's first job is let go at 15 ms.
            const sim = new QueueSimulation({ slots: slotSpecs(0, 0, 4), faults: { opDelayMs: 3 } });
            const ids = specs.map((spec) => sim.submit(spec).runId);
            const command = sim.dispatch();
            await sim.clock.advance(killAtMs);
            sim.crash(command);
            // No command runs again: only the kicks of the monitors whose jobs exit.
            for (let t = 0; t < 200 && sim.world.history.size < ids.length; t++) {
              await sim.clock.advance(50);
              expect(queueViolations(sim)).toEqual([]);
              expect(sim.world.liveJobs().length).toBeLessThanOrEqual(4);
            }
            expect(ids.filter((id) => !sim.world.history.has(id))).toEqual([]);
            for (const [i, id] of ids.entries()) {
              expect(sim.world.history.get(id)?.outcome).toBe(specs[i]?.code === 0 ? 'finished' : 'failed');
            }
            expect(sim.dispatchers.filter((d) => !d.kicked)).toHaveLength(1);
          },
        ),
        fcParams(50),
      );
    },
    fcTimeoutMs(50, 400),
  );
});
