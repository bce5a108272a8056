// Proves the dispatch machine (issue 12) step by step against the model queue world: it starts in
// queue order on the slots the scheduler chose, holds after a reboot, accounts for dead claimers'
// entries (restore, drop, leave), ends a run whose --after-ok dependency failed with its one record,
// never retries a start, reads again on any surprise, and always ends within its bounds.

import { describe, expect, it } from 'vitest';
import { fromPromise } from 'xstate';
import type { DispatchReport } from '../../machine/dispatch.ts';
import type { ClaimAnswer, StartAnswer } from '../../machine/dispatch-ports.ts';
import type { Result } from '../../machine/ports.ts';
import type { EntryClaim, QueueSnapshot } from '../../machine/queue-types.ts';
import { simRetry } from '../../model/harness.ts';
import { type Dispatcher, QueueSimulation, type QueueSimulationOptions } from '../../model/queue-harness.ts';
import { queueQuiescentViolations, queueViolations } from '../../model/queue-invariants.ts';
import { slotSpecs } from '../../model/queue-world.ts';

const oneSlot = slotSpecs(0, 0, 1);

/** Run one dispatch to its end (bounded simulated time) and return its report. */
async function dispatched(sim: QueueSimulation, d: Dispatcher = sim.dispatch()): Promise<DispatchReport> {
  for (let i = 0; i < 200 && d.report === null; i++) await sim.clock.advance(50);
  if (d.report === null) throw new Error('the dispatch did not end');
  return d.report;
}

const quietSim = (options: QueueSimulationOptions) =>
  new QueueSimulation({ faults: { kicks: false }, ...options });

describe('one dispatch', () => {
  it('starts the first entry in queue order on the free slot, then finds nothing more to start', async () => {
    const sim = quietSim({ slots: oneSlot });
    const low = sim.submit({ ms: 100, code: 0 });
    const high = sim.submit({ ms: 100, code: 0, priority: 2 });
    const report = await dispatched(sim);
    expect(report).toMatchObject({ stopped: 'idle', started: [high.runId], rounds: 2, error: null });
    expect(sim.world.locks[0]?.config).toMatchObject({
      runId: high.runId,
      slots: ['slot0'],
      fromQueue: true,
    });
    expect([...sim.world.entries.keys()]).toEqual([low.runId]);
    expect(sim.world.entryClaims.size).toBe(0);
    expect(queueViolations(sim)).toEqual([]);
  });

  it('lets the monitor kick carry the queue: every run ends once, in order, with no command alive', async () => {
    const sim = new QueueSimulation({ slots: oneSlot });
    const ids = [0, 3, 0].map((code) => sim.submit({ ms: 200, code }).runId);
    sim.dispatch();
    await sim.clock.advance(2_000);
    expect(ids.map((id) => sim.world.history.get(id)?.outcome)).toEqual(['finished', 'failed', 'finished']);
    const startedAt = ids.map((id) => sim.world.history.get(id)?.startedAt ?? -1);
    expect([...startedAt].sort((a, b) => a - b)).toEqual(startedAt);
    expect(queueQuiescentViolations(sim)).toEqual([]);
  });

  it('takes k GPU slots on k distinct GPUs for a k-GPU entry', async () => {
    const sim = quietSim({ slots: slotSpecs(2, 2, 0) });
    const e = sim.submit({ ms: 100, code: 0, gpus: 2 });
    expect((await dispatched(sim)).started).toEqual([e.runId]);
    expect(sim.world.runSlots.get(e.runId)).toEqual(['gpu0a', 'gpu1a']);
    expect(queueViolations(sim)).toEqual([]);
  });

  it('holds the queue after a reboot and starts nothing until resumed', async () => {
    const sim = quietSim({ slots: oneSlot });
    sim.world.reboot();
    const e = sim.submit({ ms: 100, code: 0 });
    const held = await dispatched(sim);
    expect(held).toMatchObject({ stopped: 'held', heldForReboot: true, started: [] });
    expect(sim.world.hold?.reason).toBe('reboot');
    expect((await dispatched(sim)).heldForReboot).toBe(false);
    sim.resume();
    expect((await dispatched(sim)).started).toEqual([e.runId]);
  });

  it('restores a dead claimer entry whose run took no lock, drops one whose run has its record, leaves a locked one', async () => {
    const sim = quietSim({ slots: slotSpecs(0, 0, 2) });
    const dead = sim.world.newProcess();
    sim.world.processDied(dead);
    const claim = (runId: string) => {
      const entry = sim.world.entries.get(runId);
      if (entry === undefined) throw new Error('no entry');
      sim.world.entries.delete(runId);
      sim.world.entryClaims.set(sim.world.newClaimName(runId, dead), { entry, claimer: dead });
    };
    const none = sim.submit({ ms: 100, code: 0 }).runId;
    const ended = sim.submit({ ms: 100, code: 0 }).runId;
    const locked = sim.submit({ ms: 100, code: 0 }).runId;
    for (const id of [none, ended, locked]) claim(id);
    const record = { runId: ended, name: ended, outcome: 'finished' as const, exitCode: 0, signal: null };
    const entry = sim.world.submitted.get(ended);
    if (entry === undefined) throw new Error('no entry');
    sim.world.writeHistory({
      ...record,
      startedAt: 0,
      endedAt: 1,
      reason: null,
      error: null,
      config: entry.config,
    });
    // A live starter holds slot 1 for `locked` (its job not yet recorded): recovery waits for it.
    const starter = sim.world.newProcess();
    sim.world.locks[1] = {
      runId: locked,
      nonce: 'n',
      createdAt: 0,
      owner: sim.world.ownerHandle(starter),
      job: null,
      startedAt: null,
      config: { ...(sim.world.submitted.get(locked)?.config ?? entry.config), slots: ['slot1'] },
    };
    const report = await dispatched(sim);
    expect(report).toMatchObject({ restored: [none], dropped: [ended], started: [none] });
    expect([...sim.world.entryClaims.values()].map((c) => c.entry.runId)).toEqual([locked]);
  });

  it('requeues the entry of a dispatcher SIGKILLed between taking the lock and spawning the job', async () => {
    const sim = quietSim({ slots: oneSlot, faults: { opDelayMs: 10, kicks: false } });
    const e = sim.submit({ ms: 100, code: 0 });
    const first = sim.dispatch();
    // read (10) + claim (10) + locks (10): the lock is taken, no job yet.
    await sim.clock.advance(35);
    expect(sim.world.locks[0]?.job).toBeNull();
    sim.crash(first);
    const report = await dispatched(sim);
    expect(sim.world.discarded.has(e.runId)).toBe(true);
    expect(report).toMatchObject({ restored: [e.runId], started: [e.runId] });
    await sim.clock.advance(500);
    expect(await sim.settle()).toBe(true);
    expect(sim.world.history.get(e.runId)?.outcome).toBe('finished');
    expect(sim.world.released.get(e.runId)).toBe(1);
    expect(queueQuiescentViolations(sim)).toEqual([]);
  });

  it('restores its entry and reads again when a direct start took the slot between its read and its start', async () => {
    const sim = quietSim({ slots: oneSlot, faults: { opDelayMs: 30, kicks: false } });
    const queued = sim.submit({ ms: 1_000, code: 0 });
    const d = sim.dispatch();
    // The dispatcher reads at 30, claims at 60 and takes the lock at 90; `start` takes it at 75.
    await sim.clock.advance(45);
    const direct = sim.startDirect({ ms: 1_000, code: 0 });
    const report = await dispatched(sim, d);
    expect(await direct).toBe('started');
    expect(report).toMatchObject({ started: [], contended: 1, stopped: 'idle' });
    expect([...sim.world.entries.keys()]).toEqual([queued.runId]);
    expect(sim.world.entryClaims.size).toBe(0);
    expect(queueViolations(sim)).toEqual([]);
  });

  it('does not start an entry behind one another live dispatcher is still starting', async () => {
    // Lifecycle actors per slot: a start is read (3 ops), claim, inspect, acquire, so a second
    // dispatcher can read between the first one's claim and its lock.
    const sim = quietSim({
      slots: slotSpecs(0, 0, 2),
      slotActors: true,
      faults: { opDelayMs: 30, kicks: false },
    });
    const first = sim.submit({ ms: 1_000, code: 0, priority: 1 });
    const second = sim.submit({ ms: 1_000, code: 0 });
    const a = sim.dispatch();
    // a reads until 90 and claims `first` at 120, its lock at 180; b reads until 135.
    await sim.clock.advance(45);
    const b = sim.dispatch();
    const rb = await dispatched(sim, b);
    await dispatched(sim, a);
    expect(rb).toMatchObject({ started: [], stopped: 'idle' });
    expect(sim.world.released.get(first.runId)).toBe(1);
    // The claimer of `first` reads again after its start and starts `second` itself.
    expect(sim.world.released.get(second.runId)).toBe(1);
    expect(queueViolations(sim)).toEqual([]);
  });

  it('ends an entry whose --after-ok dependency failed with one record naming it, without a process', async () => {
    const sim = new QueueSimulation({ slots: slotSpecs(0, 0, 2) });
    const dep = sim.submit({ ms: 100, code: 3 });
    const next = sim.submit({ ms: 100, code: 0, afterOk: [dep.runId] });
    const any = sim.submit({ ms: 100, code: 0, after: [dep.runId] });
    sim.dispatch();
    await sim.clock.advance(1_000);
    expect(sim.world.history.get(next.runId)).toMatchObject({
      outcome: 'failed',
      reason: 'dependency-failed',
      startedAt: null,
      dependency: { runId: dep.runId, outcome: 'failed' },
      error: { code: 'RW_DEPENDENCY_FAILED' },
    });
    expect(sim.world.released.has(next.runId)).toBe(false);
    expect(sim.world.history.get(any.runId)?.outcome).toBe('finished');
    expect(queueQuiescentViolations(sim)).toEqual([]);
  });

  it('starts nothing when the queue is paused between its read and its claim', async () => {
    const sim = quietSim({ slots: oneSlot, faults: { opDelayMs: 10, kicks: false } });
    sim.submit({ ms: 100, code: 0 });
    const d = sim.dispatch();
    await sim.clock.advance(12);
    sim.pause();
    const report = await dispatched(sim, d);
    expect(report).toMatchObject({ stopped: 'held', started: [], contended: 1 });
    expect(sim.world.entries.size).toBe(1);
    expect(queueViolations(sim)).toEqual([]);
  });

  it('gives up a failing read after the bounded retries, with the error', async () => {
    const failing = () => ({
      readQueue: fromPromise<Result<QueueSnapshot>>(async () => ({
        ok: false,
        error: { code: 'RW_READ_FAILED', message: 'reading queue/: EACCES' },
      })),
    });
    const sim = quietSim({ slots: oneSlot, ports: failing });
    const report = await dispatched(sim);
    expect(report.stopped).toBe('error');
    expect(report.error?.message).toBe(
      `reading queue/: EACCES (gave up after ${simRetry.attemptsMax} attempts)`,
    );
    expect(sim.clock.now()).toBeLessThan(simRetry.capMs * simRetry.attemptsMax + 1_000);
  });

  it('never retries a start that answered an error; its claim is left and the next dispatch restores it', async () => {
    const broken = () => ({
      startRun: fromPromise<Result<StartAnswer>, { claim: EntryClaim; slots: readonly string[] }>(
        async () => ({
          ok: false,
          error: { code: 'RW_LOCK_FAILED', message: 'creating active.lock: EROFS' },
        }),
      ),
    });
    const sim = quietSim({ slots: oneSlot, ports: broken });
    const e = sim.submit({ ms: 100, code: 0 });
    const report = await dispatched(sim);
    expect(report).toMatchObject({ stopped: 'error', started: [], error: { code: 'RW_LOCK_FAILED' } });
    expect([...sim.world.entryClaims.values()].map((c) => c.entry.runId)).toEqual([e.runId]);
    expect(queueViolations(sim)).toEqual([]);
  });

  it('ends after roundsMax reads when every claim is lost to another process', async () => {
    const losing = () => ({
      claimEntry: fromPromise<Result<ClaimAnswer>, { runId: string; forStart: boolean }>(async () => ({
        ok: true,
        value: 'gone',
      })),
    });
    const sim = quietSim({ slots: oneSlot, ports: losing, roundsMax: 3 });
    sim.submit({ ms: 100, code: 0 });
    expect(await dispatched(sim)).toMatchObject({ stopped: 'rounds', rounds: 3, contended: 3 });
  });
});
