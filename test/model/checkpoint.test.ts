// Issue 14, proved against the model world in simulated time, with fast-check choosing the job's
// answer (acks after some ms, or ignores the request), the grace, a user abort and a supervisor
// crash: a checkpoint-and-exit request never becomes a SIGINT/SIGKILL before its deadline unless
// an abort was asked; `suspended` is recorded only after an ack; a job that acks in time is
// suspended, one that does not answer is aborted at the deadline (by the monitor if nobody is up);
// the time limit asks `checkpointBeforeMs` before the limit.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { modelConfig, Simulation } from '../../model/harness.ts';
import {
  checkpointNotKilledEarly,
  quiescentViolations,
  suspendedOnlyAfterAck,
  violations,
} from '../../model/invariants.ts';
import { fcParams, fcTimeoutMs } from './fc-config.ts';

async function liveRun(sim: Simulation, argv: string[], graceMs = 300, extra = {}) {
  const s = sim.boot();
  await sim.clock.advance(10);
  const config = { ...modelConfig(argv, graceMs), ...extra };
  s.actor.send({ type: 'run.start', config, at: sim.clock.now() });
  await sim.clock.advance(10);
  expect(s.actor.getSnapshot().hasTag('live')).toBe(true);
  return { s, config };
}

describe('checkpoint requests (model)', () => {
  it('a job that acks in time ends suspended; one that ignores the request is aborted at the deadline', async () => {
    const acking = new Simulation();
    const a = await liveRun(acking, ['job', 'forever', '0', 'ckpt-100']);
    a.s.actor.send({ type: 'run.checkpoint', at: acking.clock.now(), graceMs: 1_000 });
    await acking.clock.advance(10);
    expect(a.s.actor.getSnapshot().matches({ live: 'suspending' })).toBe(true);
    await acking.clock.advance(500);
    expect(a.s.actor.getSnapshot().context.lastEnded).toMatchObject({ outcome: 'suspended', exitCode: 0 });
    expect(acking.world.signalLog).toEqual([]);
    expect(violations(acking)).toEqual([]);

    const deaf = new Simulation();
    const d = await liveRun(deaf, ['job', 'forever', '0']);
    const askedAt = deaf.clock.now();
    d.s.actor.send({ type: 'run.checkpoint', at: askedAt, graceMs: 1_000 });
    await deaf.clock.advance(990);
    expect(d.s.actor.getSnapshot().matches({ live: 'suspending' })).toBe(true);
    expect(deaf.world.signalLog).toEqual([]);
    await deaf.clock.advance(1_000);
    const ended = d.s.actor.getSnapshot().context.lastEnded;
    expect(ended).toMatchObject({ outcome: 'aborted' });
    expect(deaf.world.signalLog[0]).toMatchObject({ sig: 'SIGINT' });
    expect(deaf.world.signalLog[0]?.at).toBeGreaterThanOrEqual(askedAt + 1_000);
    expect(violations(deaf)).toEqual([]);
  });

  it('an observer shows the run suspending and keeps the same deadline', async () => {
    const sim = new Simulation();
    const { s } = await liveRun(sim, ['job', 'forever', '0']);
    const observer = sim.boot();
    await sim.clock.advance(10);
    const askedAt = sim.clock.now();
    s.actor.send({ type: 'run.checkpoint', at: askedAt, graceMs: 800 });
    await sim.clock.advance(20);
    expect(observer.actor.getSnapshot().value).toEqual({ live: { suspending: 'observed' } });
    sim.crash(s);
    await sim.clock.advance(700);
    expect(sim.world.signalLog).toEqual([]);
    await sim.clock.advance(1_500);
    expect(observer.actor.getSnapshot().context.lastEnded).toMatchObject({ outcome: 'aborted' });
    expect(sim.world.signalLog[0]?.at).toBeGreaterThanOrEqual(askedAt + 800);
    expect(violations(sim)).toEqual([]);
  });

  it('the monitor aborts at the deadline with no supervisor alive; recovery records it aborted', async () => {
    const sim = new Simulation();
    const { s, config } = await liveRun(sim, ['job', 'forever', '0']);
    s.actor.send({ type: 'run.checkpoint', at: sim.clock.now(), graceMs: 400 });
    await sim.clock.advance(20);
    sim.crash(s);
    await sim.clock.advance(1_000);
    expect(sim.world.liveJobs()).toEqual([]);
    expect(await sim.settle()).toBe(true);
    expect(sim.world.history.get(config.runId)?.outcome).toBe('aborted');
    expect(quiescentViolations(sim)).toEqual([]);
  });

  it('the time limit asks checkpointBeforeMs before the limit, and aborts at the limit without an answer', async () => {
    const sim = new Simulation();
    const { s } = await liveRun(sim, ['job', 'forever', '0', 'ckpt-50'], 300, {
      timeLimitMs: 2_000,
      checkpointBeforeMs: 500,
    });
    await sim.clock.advance(1_400);
    expect(s.actor.getSnapshot().matches({ live: 'running' })).toBe(true);
    await sim.clock.advance(200);
    expect(sim.world.checkpointRequests.size).toBe(1);
    await sim.clock.advance(200);
    expect(s.actor.getSnapshot().context.lastEnded).toMatchObject({ outcome: 'suspended' });

    const plain = new Simulation();
    const p = await liveRun(plain, ['job', 'forever', '0'], 300, { timeLimitMs: 1_000 });
    await plain.clock.advance(2_000);
    expect(p.s.actor.getSnapshot().context.lastEnded).toMatchObject({
      outcome: 'aborted',
      reason: 'time-limit',
    });
  });

  it(
    'for any answer, grace, abort and crash: never killed before the deadline unless aborted; suspended only after an ack',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            ackMs: fc.option(fc.integer({ min: 0, max: 3_000 }), { nil: null }),
            graceMs: fc.integer({ min: 50, max: 2_000 }),
            userAbortAfterMs: fc.option(fc.integer({ min: 0, max: 3_000 }), { nil: null }),
            crashAfterMs: fc.option(fc.integer({ min: 0, max: 3_000 }), { nil: null }),
            ignoresSigint: fc.boolean(),
          }),
          async ({ ackMs, graceMs, userAbortAfterMs, crashAfterMs, ignoresSigint }) => {
            const sim = new Simulation();
            const argv = ['job', 'forever', '0', ...(ackMs === null ? [] : [`ckpt-${ackMs}`])];
            if (ignoresSigint) argv.push('ignore-int');
            const { s, config } = await liveRun(sim, argv);
            const askedAt = sim.clock.now();
            s.actor.send({ type: 'run.checkpoint', at: askedAt, graceMs });
            const events: [number, () => void][] = [];
            if (userAbortAfterMs !== null)
              events.push([userAbortAfterMs, () => s.actor.send({ type: 'run.abort', at: sim.clock.now() })]);
            if (crashAfterMs !== null) events.push([crashAfterMs, () => sim.crash(s)]);
            events.sort((x, y) => x[0] - y[0]);
            let elapsed = 0;
            for (const [at, act] of events) {
              await sim.clock.advance(at - elapsed);
              elapsed = at;
              if (s.alive) act();
              expect(violations(sim, { checkpointNotKilledEarly, suspendedOnlyAfterAck })).toEqual([]);
            }
            await sim.clock.advance(graceMs + 3_500 - elapsed);
            expect(violations(sim)).toEqual([]);
            expect(await sim.settle()).toBe(true);
            expect(violations(sim, { checkpointNotKilledEarly, suspendedOnlyAfterAck })).toEqual([]);
            expect(quiescentViolations(sim)).toEqual([]);
            const outcome = sim.world.history.get(config.runId)?.outcome;
            const userAbortFirst =
              userAbortAfterMs !== null && (crashAfterMs === null || userAbortAfterMs < crashAfterMs);
            // Acked in time, before anything else happened: the run is suspended.
            if (
              ackMs !== null &&
              ackMs + 5 < graceMs &&
              (!userAbortFirst || (userAbortAfterMs ?? 0) > ackMs + 5)
            )
              expect(outcome).toBe('suspended');
            // No answer at all: the deadline (or the user) aborts it.
            if (ackMs === null) expect(outcome).toBe('aborted');
          },
        ),
        fcParams(150),
      );
    },
    fcTimeoutMs(150, 40),
  );
});
