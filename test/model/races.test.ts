// Proves, with fast-check's scheduler choosing the order of every disk and process operation,
// that concurrent starters and concurrent recoverers leave exactly one winner and one record.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { modelConfig, Simulation, simDelays } from '../../model/harness.ts';
import { quiescentViolations, violations } from '../../model/invariants.ts';
import { fcParams } from './fc-config.ts';

/** Let the scheduler release operations one at a time until nothing is pending (bounded). */
async function drive(sim: Simulation, s: fc.Scheduler): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    if (s.count() > 0) await s.waitOne();
    await sim.clock.advance(0);
    if (s.count() === 0) return;
  }
  throw new Error('the scheduler never ran dry');
}

/** Drive and let simulated time pass until every living supervisor is settled (bounded). */
async function driveUntilSettled(sim: Simulation, s: fc.Scheduler): Promise<void> {
  for (let round = 0; round < 50; round++) {
    await drive(sim, s);
    if (sim.living().every((sup) => sup.actor.getSnapshot().hasTag('settled'))) return;
    await sim.clock.advance(simDelays.starterRecheckMs);
  }
}

async function idleSupervisors(sim: Simulation, n: number) {
  const sups = Array.from({ length: n }, () => sim.boot());
  await sim.clock.advance(0);
  for (const sup of sups) expect(sup.actor.getSnapshot().value).toBe('idle');
  return sups;
}

describe('races', () => {
  it('of concurrent starters leave exactly one live run; the others are told RW_CONFLICT', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), fc.integer({ min: 2, max: 5 }), async (s, n) => {
        const sim = new Simulation();
        const sups = await idleSupervisors(sim, n);
        sim.world.scheduler = s;
        const rejected: string[] = [];
        for (const sup of sups) {
          sup.actor.on('command.rejected', (e) => rejected.push(e.error.code));
          sup.actor.send({ type: 'run.start', config: modelConfig(['job', 'forever']), at: sim.clock.now() });
        }
        await driveUntilSettled(sim, s);
        expect(sim.world.liveJobs()).toHaveLength(1);
        expect(rejected).toEqual(sups.slice(1).map(() => 'RW_CONFLICT'));
        // The losers noticed the winner's lock and now watch its run too.
        const runIds = sups.map((sup) => sup.actor.getSnapshot().context.run?.runId);
        expect(new Set(runIds)).toEqual(new Set([sim.world.liveJobs()[0]?.runId]));
        expect(violations(sim)).toEqual([]);
        sim.world.scheduler = null;
        expect(await sim.settle()).toBe(true);
        expect(quiescentViolations(sim)).toEqual([]);
        expect(sim.world.history.size).toBe(1);
      }),
      fcParams(200),
    );
  });

  it('of concurrent recoverers of one ended run write exactly one history record', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.integer({ min: 2, max: 4 }),
        fc.boolean(),
        async (s, n, monitorDies) => {
          const sim = new Simulation({ faults: { monitorDies } });
          const [starter] = await idleSupervisors(sim, 1);
          const config = modelConfig(['job', '100', '3']);
          starter?.actor.send({ type: 'run.start', config, at: sim.clock.now() });
          await sim.clock.advance(0);
          if (starter) sim.crash(starter);
          await sim.clock.advance(200);
          expect(sim.world.liveJobs()).toEqual([]);
          sim.world.scheduler = s;
          const recoverers = Array.from({ length: n }, () => sim.boot());
          await drive(sim, s);
          expect(sim.world.historyCreations.get(config.runId)).toBe(1);
          expect(sim.world.history.get(config.runId)?.outcome).toBe(monitorDies ? 'orphaned' : 'failed');
          expect(sim.world.lock).toBeNull();
          expect(sim.world.claims.size).toBe(0);
          for (const r of recoverers) expect(r.actor.getSnapshot().value).toBe('idle');
          const notes = recoverers.flatMap((r) => r.actor.getSnapshot().context.recovered);
          expect(notes).toHaveLength(1);
          expect(violations(sim)).toEqual([]);
        },
      ),
      fcParams(200),
    );
  });

  it('of a recoverer and a starter never lose the ended run nor start two jobs', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), async (s) => {
        const sim = new Simulation();
        const [first] = await idleSupervisors(sim, 1);
        const ended = modelConfig(['job', '50', '0']);
        first?.actor.send({ type: 'run.start', config: ended, at: sim.clock.now() });
        await sim.clock.advance(0);
        if (first) sim.crash(first);
        await sim.clock.advance(100);
        sim.world.scheduler = s;
        const recoverer = sim.boot();
        const starter = sim.boot();
        await drive(sim, s);
        starter.actor.send({
          type: 'run.start',
          config: modelConfig(['job', 'forever']),
          at: sim.clock.now(),
        });
        await driveUntilSettled(sim, s);
        expect(sim.world.liveJobs().length).toBeLessThanOrEqual(1);
        expect(sim.world.historyCreations.get(ended.runId)).toBe(1);
        expect(violations(sim)).toEqual([]);
        expect(recoverer.actor.getSnapshot().hasTag('settled')).toBe(true);
      }),
      fcParams(200),
    );
  });
});
