// Proves the machine's main paths end to end against the model world, in simulated time.
import { describe, expect, it } from 'vitest';
import { modelConfig, Simulation } from '../../model/harness.ts';
import { quiescentViolations, violations } from '../../model/invariants.ts';

async function bootIdle(sim: Simulation) {
  const s = sim.boot();
  await sim.clock.advance(10);
  expect(s.actor.getSnapshot().value).toBe('idle');
  return s;
}

describe('lifecycle scenarios', () => {
  it('a job that exits 0 ends finished, keeps its directory and releases the lock', async () => {
    const sim = new Simulation();
    const s = await bootIdle(sim);
    const config = modelConfig(['job', '500', '0']);
    s.actor.send({ type: 'run.start', config, at: sim.clock.now() });
    await sim.clock.advance(10);
    expect(s.actor.getSnapshot().matches({ live: { running: 'healthy' } })).toBe(true);
    await sim.clock.advance(600);
    const snap = s.actor.getSnapshot();
    expect(snap.value).toBe('idle');
    expect(snap.context.lastEnded).toMatchObject({ runId: config.runId, outcome: 'finished', exitCode: 0 });
    expect(sim.world.lock).toBeNull();
    expect(sim.world.deleted.has(config.runId)).toBe(false);
    expect(violations(sim)).toEqual([]);
    expect(quiescentViolations(sim)).toEqual([]);
  });

  it('a job that exits 3 ends failed and its directory is deleted', async () => {
    const sim = new Simulation();
    const s = await bootIdle(sim);
    const config = modelConfig(['job', '100', '3']);
    s.actor.send({ type: 'run.start', config, at: sim.clock.now() });
    await sim.clock.advance(200);
    expect(s.actor.getSnapshot().context.lastEnded).toMatchObject({ outcome: 'failed', exitCode: 3 });
    expect(sim.world.deleted.has(config.runId)).toBe(true);
  });

  it('an abort of a job that ignores SIGINT escalates to SIGKILL after the grace', async () => {
    const sim = new Simulation();
    const s = await bootIdle(sim);
    const config = modelConfig(['job', 'forever', '0', 'ignore-int'], 300);
    s.actor.send({ type: 'run.start', config, at: sim.clock.now() });
    await sim.clock.advance(10);
    s.actor.send({ type: 'run.abort', at: sim.clock.now() });
    await sim.clock.advance(10);
    expect(s.actor.getSnapshot().matches({ live: { aborting: 'graceful' } })).toBe(true);
    s.actor.send({ type: 'run.abort', at: sim.clock.now() });
    await sim.clock.advance(300);
    const snap = s.actor.getSnapshot();
    expect(snap.value).toBe('idle');
    expect(snap.context.lastEnded).toMatchObject({ outcome: 'aborted', signal: 'SIGKILL' });
    expect(violations(sim)).toEqual([]);
  });

  it('the abort escalation completes when the aborting supervisor dies in the grace window', async () => {
    const sim = new Simulation();
    const s = await bootIdle(sim);
    const config = modelConfig(['job', 'forever', '0', 'ignore-int'], 300);
    s.actor.send({ type: 'run.start', config, at: sim.clock.now() });
    await sim.clock.advance(10);
    s.actor.send({ type: 'run.abort', at: sim.clock.now() });
    await sim.clock.advance(50);
    sim.crash(s);
    await sim.clock.advance(400);
    expect(sim.world.liveJobs()).toEqual([]);
    expect(violations(sim)).toEqual([]);
    const next = sim.boot();
    await sim.clock.advance(50);
    expect(next.actor.getSnapshot().value).toBe('idle');
    expect(sim.world.history.get(config.runId)).toMatchObject({ outcome: 'aborted' });
  });

  it('a second supervisor re-attaches to a live run and resumes an abort with the grace left', async () => {
    const sim = new Simulation();
    const s = await bootIdle(sim);
    const config = modelConfig(['job', 'forever', '0', 'ignore-int'], 1000);
    s.actor.send({ type: 'run.start', config, at: sim.clock.now() });
    await sim.clock.advance(10);
    const watcher = sim.boot();
    await sim.clock.advance(10);
    expect(watcher.actor.getSnapshot().matches('live')).toBe(true);
    s.actor.send({ type: 'run.abort', at: sim.clock.now() });
    await sim.clock.advance(400);
    sim.crash(s);
    sim.crash(watcher);
    const third = sim.boot();
    await sim.clock.advance(10);
    const snap = third.actor.getSnapshot();
    expect(snap.matches({ live: { aborting: 'graceful' } })).toBe(true);
    expect(snap.context.abort?.graceLeftMs).toBeGreaterThan(500);
    expect(snap.context.abort?.graceLeftMs).toBeLessThan(620);
    expect(snap.context.recovered.map((n) => n.kind)).toEqual(['abort-resumed']);
  });

  it('a job whose monitor died with it is recovered as orphaned with the reason', async () => {
    const sim = new Simulation({ faults: { monitorDies: true } });
    const s = await bootIdle(sim);
    const config = modelConfig(['job', '100', '0']);
    s.actor.send({ type: 'run.start', config, at: sim.clock.now() });
    await sim.clock.advance(10);
    sim.crash(s);
    await sim.clock.advance(200);
    const next = sim.boot();
    await sim.clock.advance(20);
    expect(next.actor.getSnapshot().context.recovered).toEqual([
      { kind: 'orphaned', runId: config.runId, reason: 'process-gone' },
    ]);
    expect(sim.world.history.get(config.runId)).toMatchObject({
      outcome: 'orphaned',
      reason: 'process-gone',
    });
  });

  it('a start while a run is active is rejected with RW_CONFLICT and changes nothing', async () => {
    const sim = new Simulation();
    const s = await bootIdle(sim);
    s.actor.send({ type: 'run.start', config: modelConfig(['job', 'forever']), at: 0 });
    await sim.clock.advance(10);
    const rejected: string[] = [];
    s.actor.on('command.rejected', (e) => rejected.push(e.error.code));
    s.actor.send({ type: 'run.start', config: modelConfig(['job', 'forever']), at: sim.clock.now() });
    expect(rejected).toEqual(['RW_CONFLICT']);
    expect(sim.world.liveJobs()).toHaveLength(1);
  });

  it('an unreadable lock is quarantined with its reason and the workspace is usable at once', async () => {
    const sim = new Simulation();
    sim.world.corruptLock('not valid JSON');
    const s = sim.boot();
    await sim.clock.advance(10);
    const snap = s.actor.getSnapshot();
    expect(snap.value).toBe('idle');
    expect(snap.context.recovered[0]).toMatchObject({ kind: 'quarantined' });
    expect(snap.context.recovered[0]?.reason).toContain('not valid JSON');
  });
});
