// Issue 14, pause against the model world in simulated time: a paused run is `paused` for every
// supervisor watching it, its stall timer does not run while paused (a fresh window after
// continue), and an abort of a paused run still ends it within the grace (SIGCONT with SIGINT),
// for any pause length, stall window and abort time (fast-check).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { modelConfig, Simulation } from '../../model/harness.ts';
import { quiescentViolations, violations } from '../../model/invariants.ts';
import { fcParams, fcTimeoutMs } from './fc-config.ts';

async function liveRun(sim: Simulation, argv: string[], stallAfterMs: number | null = null) {
  const s = sim.boot();
  await sim.clock.advance(10);
  const config = modelConfig(argv, 300, stallAfterMs);
  s.actor.send({ type: 'run.start', config, at: sim.clock.now() });
  await sim.clock.advance(10);
  expect(s.actor.getSnapshot().hasTag('live')).toBe(true);
  return { s, config };
}

describe('pause (model)', () => {
  it('pauses and continues; an observer shows it paused; the stall window restarts after continue', async () => {
    const sim = new Simulation();
    const { s } = await liveRun(sim, ['job', 'forever', '0'], 500);
    const observer = sim.boot();
    await sim.clock.advance(10);
    s.actor.send({ type: 'run.pause', at: sim.clock.now() });
    await sim.clock.advance(10);
    expect(s.actor.getSnapshot().matches({ live: { paused: 'held' } })).toBe(true);
    expect(observer.actor.getSnapshot().hasTag('paused')).toBe(true);
    // Far longer than the stall window: still paused, not stalled.
    await sim.clock.advance(5_000);
    expect(s.actor.getSnapshot().hasTag('stalled')).toBe(false);
    s.actor.send({ type: 'run.continue', at: sim.clock.now() });
    await sim.clock.advance(10);
    expect(s.actor.getSnapshot().matches({ live: { running: 'healthy' } })).toBe(true);
    expect(observer.actor.getSnapshot().matches({ live: 'running' })).toBe(true);
    await sim.clock.advance(400);
    expect(s.actor.getSnapshot().hasTag('stalled')).toBe(false);
    await sim.clock.advance(200);
    expect(s.actor.getSnapshot().hasTag('stalled')).toBe(true);
    expect(violations(sim)).toEqual([]);
  });

  it(
    'for any pause and abort timing, an abort of a paused run ends it within its grace',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 2_000 }),
          fc.integer({ min: 0, max: 2_000 }),
          fc.boolean(),
          fc.boolean(),
          async (pauseAfter, abortAfter, ignoresSigint, byObserver) => {
            const sim = new Simulation();
            const argv = ['job', 'forever', '0', ...(ignoresSigint ? ['ignore-int'] : [])];
            const { s, config } = await liveRun(sim, argv, 300);
            const other = byObserver ? sim.boot() : s;
            await sim.clock.advance(pauseAfter);
            s.actor.send({ type: 'run.pause', at: sim.clock.now() });
            await sim.clock.advance(abortAfter);
            expect(s.actor.getSnapshot().hasTag('stalled')).toBe(false);
            const abortAt = sim.clock.now();
            other.actor.send({ type: 'run.abort', at: abortAt });
            // Grace (300) + kill timeout + the SIGINT's exit delay, with room for the steps.
            await sim.clock.advance(1_500);
            expect(sim.world.liveJobs()).toEqual([]);
            expect(violations(sim)).toEqual([]);
            expect(await sim.settle()).toBe(true);
            expect(quiescentViolations(sim)).toEqual([]);
            const ended = sim.world.history.get(config.runId);
            expect(ended?.outcome).toBe('aborted');
            // SIGCONT came with the SIGINT: a job that handles SIGINT ends by it (its Ctrl-C save
            // runs), not by the SIGKILL after the grace.
            if (!ignoresSigint) expect(ended).toMatchObject({ exitCode: 130, signal: null });
          },
        ),
        fcParams(100),
      );
    },
    fcTimeoutMs(100, 40),
  );
});
