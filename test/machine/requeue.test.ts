// Proves the lifecycle's `requeue` decision (issue 12): a queued run whose start never let its job
// go (no job recorded, its starter gone) is claimed, its run directory discarded and its lock
// released, with no history record; a run not from the queue is still recorded orphaned.
import { describe, expect, it } from 'vitest';
import { decideRecovery } from '../../machine/recovery.ts';
import type { DiskFinding, LockRecord } from '../../machine/types.ts';
import { defaultRetention, modelConfig, Simulation } from '../../model/harness.ts';
import { quiescentViolations, violations } from '../../model/invariants.ts';

const record = (fromQueue: boolean): LockRecord => ({
  runId: 'run-q',
  nonce: 'n',
  createdAt: 0,
  owner: { kind: 'model', id: 1, boot: 1 },
  job: null,
  startedAt: null,
  config: {
    runId: 'run-q',
    name: 'q',
    argv: ['job'],
    cwd: '/',
    env: {},
    graceMs: 1_000,
    stallAfterMs: null,
    abortOnStall: false,
    retention: defaultRetention,
    ...(fromQueue ? { fromQueue } : {}),
  },
});
const finding = (fromQueue: boolean, owner: 'alive' | 'gone'): DiskFinding => ({
  lock: 'present',
  source: { kind: 'active' },
  record: record(fromQueue),
  owner: owner === 'alive' ? { state: 'alive' } : { state: 'gone', reason: 'process-gone' },
  job: null,
  exit: null,
  abort: null,
  lastActivityAt: null,
  now: 10,
});

describe('the requeue decision', () => {
  it('requeues a queued start whose starter is gone; waits for a live one; records others orphaned', () => {
    expect(decideRecovery(finding(true, 'gone'), 120_000)).toMatchObject({ kind: 'requeue', now: 10 });
    expect(decideRecovery(finding(true, 'alive'), 120_000).kind).toBe('wait');
    expect(decideRecovery(finding(false, 'gone'), 120_000)).toMatchObject({
      kind: 'finalize',
      outcome: 'orphaned',
      reason: 'starter-died',
    });
  });

  it('is carried out: claim, discard the directory, release; no history record, a note says so', async () => {
    const sim = new Simulation({ faults: { opDelayMs: 30 } });
    const starter = sim.boot();
    await sim.clock.advance(100);
    const config = { ...modelConfig(['job', '100', '0']), fromQueue: true };
    starter.actor.send({ type: 'run.start', config, at: sim.clock.now() });
    // The lock is taken (one op), the spawn not yet: the starter dies in between.
    await sim.clock.advance(40);
    expect(sim.world.lock?.kind === 'record' && sim.world.lock.record.job).toBeNull();
    sim.crash(starter);
    const recoverer = sim.boot();
    await sim.clock.advance(500);
    expect(recoverer.actor.getSnapshot().value).toBe('idle');
    expect(sim.world.lock).toBeNull();
    expect(sim.world.claims.size).toBe(0);
    expect(sim.world.history.has(config.runId)).toBe(false);
    expect(sim.world.discarded.has(config.runId)).toBe(true);
    expect(sim.world.runCopies.has(config.runId)).toBe(false);
    expect(recoverer.actor.getSnapshot().context.recovered).toEqual([
      { kind: 'requeued', runId: config.runId, reason: 'its start never let the job go' },
    ]);
    expect(violations(sim)).toEqual([]);
    expect(quiescentViolations(sim)).toEqual([]);
  });

  it('is not taken once the job was let go: that run is recorded, not discarded', async () => {
    const sim = new Simulation({ faults: { opDelayMs: 30 } });
    const starter = sim.boot();
    await sim.clock.advance(100);
    const config = { ...modelConfig(['job', '50', '0']), fromQueue: true };
    starter.actor.send({ type: 'run.start', config, at: sim.clock.now() });
    await sim.clock.advance(200);
    sim.crash(starter);
    sim.boot();
    await sim.clock.advance(500);
    expect(sim.world.discarded.has(config.runId)).toBe(false);
    expect(sim.world.history.get(config.runId)?.outcome).toBe('finished');
    expect(violations(sim)).toEqual([]);
  });
});
