// Proves, in the model world and simulated time, what the machine does when the disk refuses
// renames and writes (EACCES, EROFS, ENOSPC) or a job's monitor is stopped: every wait ends
// with the reason, every retry is bounded, the run is recorded once when the fault heals; and
// that the busyBounded invariant catches a machine whose retries have no bound.
import { describe, expect, it } from 'vitest';
import { lifecycleMachine } from '../../machine/lifecycle.ts';
import { type MachineUnderTest, modelConfig, Simulation, simRetry } from '../../model/harness.ts';
import { runHistory, type Step } from '../../model/histories.ts';
import { busyBounded, quiescentViolations, violations } from '../../model/invariants.ts';
import type { DiskErrno } from '../../model/world.ts';

async function bootIdle(sim: Simulation) {
  const s = sim.boot();
  await sim.clock.advance(10);
  expect(s.actor.getSnapshot().value).toBe('idle');
  return s;
}

/** The whole retry budget of the simulation's policy, and then some. */
const retryBudgetMs = simRetry.capMs * simRetry.attemptsMax + 1_000;

describe('a disk that refuses writes (model)', () => {
  it.each<DiskErrno>(['EACCES', 'EROFS', 'ENOSPC'])(
    '%s when the run ends: stuck with the error at once, halted after the bounded retries, recorded once when healed',
    async (errno) => {
      const sim = new Simulation();
      const s = await bootIdle(sim);
      const config = modelConfig(['job', '100', '3']);
      s.actor.send({ type: 'run.start', config, at: sim.clock.now() });
      await sim.clock.advance(10);
      expect(s.actor.getSnapshot().hasTag('live')).toBe(true);
      sim.world.setDiskRefuses(errno);
      await sim.clock.advance(200);
      // The exit is kept by the monitor (the disk refuses it too): the run stays live meanwhile.
      expect(sim.world.exits.has(config.runId)).toBe(false);
      // The disk takes the monitor's exit record, then refuses again before the claim runs (the
      // claim is the machine's next step, a microtask away).
      sim.world.setDiskRefuses(null);
      sim.world.setDiskRefuses(errno);
      await sim.clock.advance(1);
      const stuck = s.actor.getSnapshot();
      expect(stuck.hasTag('stuck')).toBe(true);
      expect(stuck.context.error?.message).toContain(errno);
      expect(violations(sim)).toEqual([]);

      await sim.clock.advance(retryBudgetMs);
      const halted = s.actor.getSnapshot();
      expect(halted.value).toBe('halted');
      expect(halted.context.error?.message).toMatch(
        new RegExp(`${errno}.*gave up after ${simRetry.attemptsMax} attempts`),
      );
      expect(violations(sim)).toEqual([]);

      sim.world.setDiskRefuses(null);
      sim.crash(s);
      const next = sim.boot();
      await sim.clock.advance(100);
      expect(next.actor.getSnapshot().value).toBe('idle');
      expect(sim.world.history.get(config.runId)).toMatchObject({ outcome: 'failed', exitCode: 3 });
      expect(sim.world.historyCreations.get(config.runId)).toBe(1);
      expect(quiescentViolations(sim)).toEqual([]);
    },
  );

  it('a start whose lock cannot be written is refused with the error, nothing left behind', async () => {
    const sim = new Simulation();
    const s = await bootIdle(sim);
    sim.world.setDiskRefuses('EROFS');
    const rejected: string[] = [];
    s.actor.on('command.rejected', (e) => rejected.push(e.error.message));
    s.actor.send({ type: 'run.start', config: modelConfig(['job', 'forever']), at: sim.clock.now() });
    await sim.clock.advance(10);
    expect(s.actor.getSnapshot().value).toBe('idle');
    expect(rejected).toEqual([expect.stringContaining('EROFS')]);
    expect(sim.world.lock).toBeNull();
    expect(violations(sim)).toEqual([]);
  });
});

describe('a stopped monitor (model)', () => {
  it('an abort ends unkillable with RW_UNKILLABLE within its bound; resumed, the run is recorded aborted once', async () => {
    const sim = new Simulation();
    const s = await bootIdle(sim);
    const config = modelConfig(['job', 'forever', '0', 'ignore-int'], 300);
    s.actor.send({ type: 'run.start', config, at: sim.clock.now() });
    await sim.clock.advance(10);
    sim.world.stopMonitors();
    s.actor.send({ type: 'run.abort', at: sim.clock.now() });
    await sim.clock.advance(300 + 200 + 50);
    const snap = s.actor.getSnapshot();
    expect(snap.matches({ live: { aborting: 'unkillable' } })).toBe(true);
    expect(snap.context.error?.code).toBe('RW_UNKILLABLE');
    // The job itself is dead (the supervisor's SIGKILL); only its stopped monitor keeps the run.
    expect(sim.world.liveJobs()).toEqual([]);
    expect(violations(sim)).toEqual([]);

    sim.world.resumeMonitors();
    await sim.clock.advance(50);
    expect(s.actor.getSnapshot().value).toBe('idle');
    expect(sim.world.history.get(config.runId)).toMatchObject({ outcome: 'aborted', signal: 'SIGKILL' });
    expect(quiescentViolations(sim)).toEqual([]);
  });
});

describe('the busyBounded invariant', () => {
  const refusedClaim: Step[] = [
    { kind: 'boot' },
    { kind: 'advance', ms: 100 },
    { kind: 'start', who: 0, job: ['job', '50', '0'], graceMs: 100, stall: false },
    { kind: 'advance', ms: 10 },
    { kind: 'crash', who: 0 },
    { kind: 'advance', ms: 100 },
    { kind: 'fault', fault: 'diskEacces' },
    { kind: 'boot' },
    ...Array.from({ length: 100 }, () => ({ kind: 'advance' as const, ms: 1_500 })),
  ];

  it('holds for the machine: a claim refused for ever ends halted within the bound', async () => {
    expect(await runHistory(refusedClaim, { invariantSet: { busyBounded }, atRest: false })).toEqual([]);
  });

  it('catches a machine whose claim retries have no bound', async () => {
    const unbounded = lifecycleMachine.provide({
      guards: { lastAttempt: () => false },
    }) as unknown as MachineUnderTest;
    const seen = await runHistory(refusedClaim, {
      machine: unbounded,
      invariantSet: { busyBounded },
      atRest: false,
    });
    expect(seen.join('\n')).toMatch(/still busy \d+ ms past its bound/);
  });
});
