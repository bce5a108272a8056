// Proves the invariant checks bite: for each safety property, a deliberately broken machine
// (a copied config) or port (via provide) is run through a scripted history and is caught.

import { describe, expect, it } from 'vitest';
import { assign, fromCallback, fromPromise } from 'xstate';
import { abortRequestOf } from '../../machine/context.ts';
import { lifecycleMachine, lifecycleSetup } from '../../machine/lifecycle.ts';
import type { Result, SpawnOutput } from '../../machine/ports.ts';
import type { DiskFinding, LockRecord, RunConfig } from '../../machine/types.ts';
import { findingOf, jobSpecOf } from '../../model/fake-runtime.ts';
import {
  type MachineUnderTest,
  type Ports,
  Simulation,
  type SimulationOptions,
} from '../../model/harness.ts';
import { runHistory, type Step } from '../../model/histories.ts';
import { invariants } from '../../model/invariants.ts';
import type { World } from '../../model/world.ts';

const ok = <T>(value: T): Result<T> => ({ ok: true, value });

/** Run a scripted history under a broken simulation; return what the one named invariant says. */
async function caught(
  name: keyof typeof invariants,
  steps: Step[],
  options: SimulationOptions,
): Promise<string[]> {
  const check = invariants[name];
  if (check === undefined) throw new Error(`no invariant ${name}`);
  return runHistory(steps, {
    simulation: () => new Simulation(options),
    invariantSet: { [name]: check },
    atRest: false,
  });
}

/** The same history under the faithful machine and ports, for contrast. */
async function faithful(name: keyof typeof invariants, steps: Step[], faults: SimulationOptions['faults']) {
  return caught(name, steps, { faults });
}

/** A history that first boots one supervisor and lets it reach idle. */
const script = (...steps: Step[]): Step[] => [{ kind: 'boot' }, { kind: 'advance', ms: 100 }, ...steps];
const start = (job: string[], graceMs = 300, who = 0): Step => ({
  kind: 'start',
  who,
  job,
  graceMs,
  stall: false,
});
const advance = (ms: number): Step => ({ kind: 'advance', ms });

/** A copy of the machine with one transition replaced (configs are plain objects). */
function withLiveAbortGoingStraightToClaiming(): MachineUnderTest {
  const config = lifecycleMachine.config;
  const live = config.states?.live;
  const running = live?.states?.running;
  if (live === undefined || running === undefined) throw new Error('machine shape changed');
  const broken = {
    ...config,
    states: {
      ...config.states,
      live: {
        ...live,
        states: {
          ...live.states,
          running: {
            ...running,
            on: {
              ...running.on,
              'run.abort': {
                target: '#runwarden.claiming',
                actions: assign({ outcome: 'aborted' as const, detectedAt: 0 }),
              },
            },
          },
        },
      },
    },
  };
  // The copied config loses its literal types; the shape is unchanged but for one transition.
  return lifecycleSetup.createMachine(broken as never) as unknown as MachineUnderTest;
}

/** A copy of the machine that records a job lost without an exit record as orphaned, aborted or not. */
function withLossAlwaysOrphaned(): MachineUnderTest {
  const config = lifecycleMachine.config;
  const live = config.states?.live;
  if (live === undefined) throw new Error('machine shape changed');
  const broken = {
    ...config,
    states: {
      ...config.states,
      live: {
        ...live,
        on: {
          ...live.on,
          'process.lost': {
            target: 'claiming',
            actions: assign(({ event }) => ({
              outcome: 'orphaned' as const,
              reason: event.type === 'process.lost' ? event.reason : null,
              detectedAt: event.type === 'process.lost' ? event.at : 0,
            })),
          },
        },
      },
    },
  };
  return lifecycleSetup.createMachine(broken as never) as unknown as MachineUnderTest;
}

describe('the invariant checks catch a broken', () => {
  it('lock that is checked and then created (two starters both win): oneLiveRun', async () => {
    const racyAcquire = (world: World, ownerId: number) => ({
      acquireLock: fromPromise<Result<LockRecord>, { config: RunConfig; at: number }>(async ({ input }) => {
        const free = world.lock === null;
        await world.delay();
        if (!free) return { ok: false, error: { code: 'RW_CONFLICT', message: 'held' } };
        const record = {
          runId: input.config.runId,
          nonce: `racy-${ownerId}-${input.config.runId}`,
          createdAt: input.at,
          owner: { kind: 'model', id: ownerId, boot: world.boot },
          job: null,
          startedAt: null,
          config: input.config,
        };
        world.lock = { kind: 'record', record };
        world.locked.set(record.runId, record.nonce);
        return ok(record);
      }),
      // …and a spawn that trusts the lock it was handed instead of re-reading it.
      spawnJob: fromPromise<Result<SpawnOutput>, { lock: LockRecord }>(async ({ input }) => {
        await world.delay();
        const proc = world.spawn(input.lock.runId, jobSpecOf(input.lock.config.argv), ownerId);
        const handle = { kind: 'model', pid: proc.pid, startTime: proc.startTime, boot: proc.boot };
        world.release(proc);
        return ok({ lock: { ...input.lock, job: handle, startedAt: world.now }, handle, at: world.now });
      }),
    });
    const steps = script(
      { kind: 'boot' },
      advance(100),
      start(['job', 'forever'], 300, 0),
      start(['job', 'forever'], 300, 1),
      advance(300),
    );
    const options = { faults: { opDelayMs: 30 }, ports: racyAcquire };
    expect((await caught('oneLiveRun', steps, options)).join('\n')).toContain('2 live jobs');
    expect(await faithful('oneLiveRun', steps, options.faults)).toEqual([]);
  });

  it('machine that finalizes on abort before the job is gone: lockWhileLive', async () => {
    const steps = script(
      advance(10),
      start(['job', 'forever']),
      advance(10),
      { kind: 'abort', who: 0, graceMs: undefined },
      advance(50),
    );
    const bad = await caught('lockWhileLive', steps, { machine: withLiveAbortGoingStraightToClaiming() });
    expect(bad.join('\n')).toContain('is alive but the lock does not name it');
    expect(await faithful('lockWhileLive', steps, {})).toEqual([]);
  });

  it('history port that reports success without writing: lockUntilFinalized', async () => {
    const lying = (world: World): Partial<Ports> => ({
      recordHistory: fromPromise(async () => {
        await world.delay();
        return ok(null);
      }),
    });
    const steps = script(advance(100), start(['job', '50', '0']), advance(300));
    const bad = await caught('lockUntilFinalized', steps, { faults: { opDelayMs: 30 }, ports: lying });
    expect(bad.join('\n')).toContain('has neither a lock nor a history record');
    expect(await faithful('lockUntilFinalized', steps, { opDelayMs: 30 })).toEqual([]);
  });

  it('signal port that skips the identity check when a pid was reused: noWrongEffects', async () => {
    const steps = script(
      advance(100),
      start(['job', '20', '0']),
      advance(90),
      { kind: 'force', who: 0 },
      advance(200),
    );
    const faults = { opDelayMs: 30, reusePids: true };
    const bad = await caught('noWrongEffects', steps, { faults: { ...faults, skipIdentityCheck: true } });
    expect(bad.join('\n')).toContain('not the recorded job');
    expect(await faithful('noWrongEffects', steps, faults)).toEqual([]);
  });

  it('retention that deletes a finished run: noWrongEffects', async () => {
    const deleteAll = (world: World): Partial<Ports> => ({
      applyRetention: fromPromise(async ({ input }) => {
        world.recordDelete(input.claim.record.runId, input.outcome);
        return ok(null);
      }),
    });
    const steps = script(advance(10), start(['job', '50', '0']), advance(100));
    const bad = await caught('noWrongEffects', steps, { ports: deleteAll });
    expect(bad.join('\n')).toContain('deleted the directory of finished run');
  });

  it('abort without a durable escalation when the grace never ends: abortBounded', async () => {
    const sigintOnly = (world: World): Partial<Ports> => ({
      interruptJob: fromPromise(async ({ input }) => {
        const job = input.lock.job;
        const { runId } = input.lock;
        world.recordAbort(runId, {
          requestedAt: input.abort.requestedAt,
          graceMs: input.abort.graceMs,
          forced: false,
        });
        // The monitor takes the interrupt but never escalates.
        world.delivered.set(runId, { at: world.now, graceMs: input.abort.graceMs });
        if (job !== null) world.signal(job, 'SIGINT');
        return ok(null);
      }),
    });
    const steps = script(
      advance(10),
      start(['job', 'forever', '0', 'ignore-int'], 100),
      advance(10),
      { kind: 'abort', who: 0, graceMs: undefined },
      advance(1_000),
    );
    const bad = await caught('abortBounded', steps, {
      ports: sigintOnly,
      delays: { abortGraceMs: 10_000_000 },
    });
    expect(bad.join('\n')).toContain('past its abort deadline');
    expect(await faithful('abortBounded', steps, {})).toEqual([]);
  });

  it('runtime that records the job only in the lock (F1): a corrupt lock while it runs gives two live jobs: oneLiveRun', async () => {
    // Recovery sees no run directory's copy, so it quarantines the lock and frees the workspace.
    const lockOnly = (world: World): Partial<Ports> => ({
      inspectDisk: fromPromise<DiskFinding>(async () => {
        await world.delay();
        const found = findingOf(world);
        return found.lock === 'unreadable' ? { ...found, runs: [] } : found;
      }),
    });
    const steps = script(
      start(['job', 'forever']),
      advance(100),
      { kind: 'fault', fault: 'corruptLock' },
      { kind: 'boot' },
      advance(100),
      start(['job', 'forever'], 300, 1),
      advance(100),
    );
    expect((await caught('oneLiveRun', steps, { ports: lockOnly })).join('\n')).toContain('2 live jobs');
    expect(await faithful('oneLiveRun', steps, {})).toEqual([]);
    const invalid = steps.map((s) => (s.kind === 'fault' ? { ...s, fault: 'invalidLock' as const } : s));
    expect((await caught('oneLiveRun', invalid, { ports: lockOnly })).join('\n')).toContain('2 live jobs');
    expect(await faithful('oneLiveRun', invalid, {})).toEqual([]);
  });

  it('abort resumed without delivering what its record promises (F2): abortCarriedOut', async () => {
    // Today's port: a resumed abort sends nothing; only a watcher's grace timer ever kills.
    const sendsNothingOnResume = (world: World, ownerId: number): Partial<Ports> => ({
      interruptJob: fromPromise(async ({ input }) => {
        await world.delay();
        const job = input.lock.job;
        if (job === null || input.abort.resumed) return ok(null);
        world.recordAbort(input.lock.runId, abortRequestOf(input.abort));
        if (world.faults.abortCrashAfter === 'recorded') world.crashOwner(ownerId);
        if (!world.owners.get(ownerId)?.alive) return new Promise<never>(() => {});
        world.deliverAbort(input.lock.runId, job, input.abort.graceMs);
        return ok(null);
      }),
    });
    const steps = script(
      start(['job', 'forever', '0', 'ignore-int'], 800),
      advance(100),
      { kind: 'fault', fault: 'requesterDiesRecorded' },
      { kind: 'abort', who: 0, graceMs: undefined },
      advance(10),
      { kind: 'fault', fault: 'heal' },
      { kind: 'boot' },
      advance(700),
    );
    const bad = await caught('abortCarriedOut', steps, { ports: sendsNothingOnResume });
    expect(bad.join('\n')).toContain('is not carried out (its interrupt)');
    expect(await faithful('abortCarriedOut', steps, {})).toEqual([]);
    expect(await faithful('abortBounded', steps, {})).toEqual([]);
  });

  it('watcher blind to an abort another process recorded (issue 16): observersSeeAbort', async () => {
    const blind = (world: World): Partial<Ports> => ({
      watchJob: fromCallback(({ input, sendBack }) => {
        const check = () => {
          const exit = world.exits.get(input.lock.runId);
          if (exit !== undefined) sendBack({ type: 'process.exited', exit, abort: null });
        };
        return world.onChange(check);
      }),
    });
    // Supervisor 1 watches; supervisor 2 aborts a job that ignores SIGINT, with a long grace.
    const steps = script(
      start(['job', 'forever', '0', 'ignore-int'], 800, 0),
      advance(50),
      { kind: 'boot' },
      advance(50),
      { kind: 'abort', who: 1, graceMs: undefined },
      advance(600),
    );
    const bad = await caught('observersSeeAbort', steps, { ports: blind });
    expect(bad.join('\n')).toContain('still shows run');
    expect(await faithful('observersSeeAbort', steps, {})).toEqual([]);
  });

  it('start whose spawn never answers and whose timeout was removed: startBounded', async () => {
    const hangs = (): Partial<Ports> => ({
      spawnJob: fromPromise<Result<SpawnOutput>, { lock: LockRecord }>(() => new Promise(() => {})),
    });
    const steps = script(advance(10), start(['job', 'forever']), advance(2_000));
    const bad = await caught('startBounded', steps, { ports: hangs, delays: { startTimeoutMs: 10_000_000 } });
    expect(bad.join('\n')).toContain('still starting');
    expect(await faithful('startBounded', steps, {})).toEqual([]);
  });

  it('history that is appended twice when two recoverers both think they won: historyOnce', async () => {
    const careless = (world: World, ownerId: number): Partial<Ports> => ({
      claimLock: fromPromise(async ({ input }) => {
        await world.delay();
        world.lock = null;
        const name = world.newClaimName(ownerId);
        world.claims.set(name, { record: input.record, claimer: ownerId });
        return ok({ name, record: input.record });
      }),
      recordHistory: fromPromise(async ({ input }) => {
        await world.delay();
        world.history.set(input.entry.runId, input.entry);
        world.historyCreations.set(
          input.entry.runId,
          (world.historyCreations.get(input.entry.runId) ?? 0) + 1,
        );
        return ok(null);
      }),
    });
    const steps = script(
      advance(100),
      start(['job', '200', '3']),
      advance(100),
      { kind: 'crash', who: 0 },
      advance(300),
      { kind: 'boot' },
      { kind: 'boot' },
      advance(300),
    );
    const bad = await caught('historyOnce', steps, { faults: { opDelayMs: 30 }, ports: careless });
    expect(bad.join('\n')).toContain('has 2 history records');
    expect(await faithful('historyOnce', steps, { opDelayMs: 30 })).toEqual([]);
  });

  it('watcher that reports an exit without the abort record another process wrote: abortRecorded', async () => {
    const forgetful = (world: World): Partial<Ports> => ({
      watchJob: fromCallback(({ input, sendBack }) => {
        const check = () => {
          const exit = world.exits.get(input.lock.runId);
          if (exit !== undefined) sendBack({ type: 'process.exited', exit, abort: null });
        };
        return world.onChange(check);
      }),
    });
    // Supervisor 1 watches; supervisor 2 aborts; 1 sees the exit first and finalises.
    const steps = script(
      start(['job', 'forever'], 300, 0),
      advance(50),
      { kind: 'boot' },
      advance(50),
      { kind: 'abort', who: 1, graceMs: undefined },
      { kind: 'crash', who: 1 },
      advance(1_000),
    );
    const bad = await caught('abortRecorded', steps, { ports: forgetful });
    expect(bad.join('\n')).toContain('was aborted but recorded failed');
    expect(await faithful('abortRecorded', steps, {})).toEqual([]);
  });

  it('machine that calls an aborted run orphaned when its monitor died with it: abortRecorded', async () => {
    const steps = script(
      start(['job', 'forever'], 300),
      advance(50),
      { kind: 'abort', who: 0, graceMs: undefined },
      advance(1_000),
    );
    const faults = { monitorDies: true };
    const bad = await caught('abortRecorded', steps, { faults, machine: withLossAlwaysOrphaned() });
    expect(bad.join('\n')).toContain('was aborted but recorded orphaned');
    expect(await faithful('abortRecorded', steps, faults)).toEqual([]);
  });

  it('journal numbered by each process on its own: journalIncreasing', async () => {
    const steps = script(
      advance(10),
      start(['job', 'forever']),
      advance(10),
      { kind: 'boot' },
      advance(10),
      { kind: 'abort', who: 0, graceMs: undefined },
      advance(1_000),
    );
    const bad = await caught('journalIncreasing', steps, { journal: 'per-actor' });
    expect(bad.join('\n')).toContain('is not increasing');
    expect(await faithful('journalIncreasing', steps, {})).toEqual([]);
  });

  it('idle that forgets to clear the finished run: contextShape', async () => {
    const machine = lifecycleMachine.provide({ actions: { clearRun: assign({}) } }) as MachineUnderTest;
    const steps = script(advance(10), start(['job', '50', '0']), advance(100));
    const bad = await caught('contextShape', steps, { machine });
    expect(bad.join('\n')).toContain('idle keeps run fields');
    expect(await faithful('contextShape', steps, {})).toEqual([]);
  });
});
