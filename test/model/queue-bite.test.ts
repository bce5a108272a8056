// Proves the queue invariants bite (issue 12): each broken variant of the scheduler, the dispatch
// machine or a port is caught by the invariant named in the test, in a short scripted history,
// while the faithful machine and ports pass the same history.

import { describe, expect, it } from 'vitest';
import { assign, fromPromise } from 'xstate';
import { dispatchMachine } from '../../machine/dispatch.ts';
import type { StartAnswer } from '../../machine/dispatch-ports.ts';
import type { Result } from '../../machine/ports.ts';
import type { EntryClaim, QueueSnapshot, ScheduleDecision } from '../../machine/queue-types.ts';
import { decideRecovery } from '../../machine/recovery.ts';
import { fitOf, queueOrder, readinessOf, schedule } from '../../machine/schedule.ts';
import type { DispatchMachineUnderTest, QueueSimulationOptions } from '../../model/queue-harness.ts';
import { type QueueStep, runQueueHistory } from '../../model/queue-histories.ts';
import { type QueueInvariant, queueInvariants } from '../../model/queue-invariants.ts';
import type { DispatchPorts } from '../../model/queue-ports.ts';
import { readNow, recoverSlots, snapshotOf, startOnSlots } from '../../model/queue-ports.ts';
import { eligibleOrder, noteStartGranted } from '../../model/queue-truth.ts';
import { type QueueWorld, slotSpecs } from '../../model/queue-world.ts';

/** The dispatch machine with its scheduling step replaced. */
function withPlan(plan: (snapshot: QueueSnapshot) => ScheduleDecision[]): DispatchMachineUnderTest {
  return dispatchMachine.provide({
    actions: {
      plan: assign(({ context }) => ({ pending: context.snapshot === null ? [] : plan(context.snapshot) })),
    },
  }) as unknown as DispatchMachineUnderTest;
}

/** A scheduler that backfills: an entry that does not fit no longer blocks later ones. */
function backfilling(snapshot: QueueSnapshot): ScheduleDecision[] {
  let slots = [...snapshot.slots];
  const out: ScheduleDecision[] = [];
  for (const e of queueOrder(snapshot.entries)) {
    if (e.held || readinessOf(e.needs, snapshot.dependencies).kind !== 'ready') continue;
    const fit = fitOf(e.needs, slots);
    if (fit === null) continue;
    out.push({ kind: 'start', runId: e.runId, slots: fit });
    slots = slots.map((s) => (fit.includes(s.slot.name) ? { ...s, busy: true } : s));
  }
  return out;
}

function pick(name: string): Record<string, QueueInvariant> {
  const check = queueInvariants[name];
  if (check === undefined) throw new Error(`no invariant ${name}`);
  return { [name]: check };
}

/** Run `steps` with the broken options, checking only `name`; then the faithful run of the same. */
async function bites(
  name: keyof typeof queueInvariants & string,
  steps: QueueStep[],
  broken: QueueSimulationOptions,
) {
  const base = {
    slots: broken.slots,
    slotActors: broken.slotActors,
    faults: { kicks: false, ...broken.faults },
  };
  const caught = await runQueueHistory(steps, {
    ...broken,
    ...base,
    invariantSet: pick(name),
    atRest: false,
  });
  const faithful = await runQueueHistory(steps, { ...base, atRest: false });
  return { caught: caught.join('\n'), faithful };
}

const submit = (over: Partial<Extract<QueueStep, { kind: 'submit' }>> = {}): QueueStep => ({
  kind: 'submit',
  ms: 1_000,
  code: 0,
  priority: 0,
  gpus: 0,
  held: false,
  after: null,
  afterOk: null,
  dispatch: false,
  ...over,
});
const dispatch: QueueStep = { kind: 'dispatch', diesAfterMs: null };
const advance = (ms: number): QueueStep => ({ kind: 'advance', ms });

describe('the queue invariants catch a broken', () => {
  it('scheduler that backfills a small job past a big one that does not fit: queueIncidents (order)', async () => {
    const steps = [
      submit({ gpus: 1 }),
      dispatch,
      advance(50),
      submit({ gpus: 2, priority: 1 }),
      submit({ gpus: 1 }),
      dispatch,
      advance(50),
    ];
    const r = await bites('queueIncidents', steps, {
      slots: slotSpecs(2, 1, 0),
      machine: withPlan(backfilling),
    });
    expect(r.caught).toContain('ahead of it in queue order, waits');
    expect(r.faithful).toEqual([]);
  });

  it('claim that leaves the entry in the queue (not exclusive): startsOnce', async () => {
    const copying = (world: QueueWorld, me: number, faithful: DispatchPorts): Partial<DispatchPorts> => ({
      claimEntry: fromPromise(async ({ input }) => {
        const entry = world.entries.get(input.runId);
        if (entry === undefined) return { ok: true, value: 'gone' as const };
        const name = world.newClaimName(input.runId, me);
        world.entryClaims.set(name, { entry, claimer: me });
        return { ok: true, value: { runId: input.runId, name, entry } };
      }),
      dropEntry: faithful.dropEntry,
    });
    const steps = [submit(), dispatch, advance(50), dispatch, advance(50)];
    const r = await bites('startsOnce', steps, { slots: slotSpecs(0, 0, 2), ports: copying });
    expect(r.caught).toContain('started 2 times');
    expect(r.faithful).toEqual([]);
  });

  it('restore that ignores a live lock (a dead claimer whose run started): entryInOnePlace', async () => {
    const blindToLocks = (world: QueueWorld, me: number): Partial<DispatchPorts> => ({
      readQueue: fromPromise<Result<QueueSnapshot>>(async () => {
        await world.delay();
        const snap = readNow(world, me);
        return {
          ok: true,
          value: {
            ...snap,
            claimed: snap.claimed.map((c) => (c.run === 'locked' ? { ...c, run: 'none' as const } : c)),
          },
        };
      }),
    });
    // The first dispatcher dies after starting the job (5 ops of 30 ms) and before dropping its claim.
    const steps: QueueStep[] = [
      { kind: 'fault', fault: 'slowOps' },
      submit(),
      { kind: 'dispatch', diesAfterMs: 165 },
      advance(200),
      dispatch,
      // Small steps: the restored entry is seen before it is claimed and started a second time.
      ...Array.from({ length: 20 }, () => advance(10)),
    ];
    const r = await bites('entryInOnePlace', steps, { slots: slotSpecs(0, 0, 2), ports: blindToLocks });
    expect(r.caught).toContain('waits in the queue though it is locked');
    expect(r.faithful).toEqual([]);
  });

  it('accounting that drops a dead claimer entry whose run never took a lock: entryInOnePlace (lost)', async () => {
    const dropsAll = (world: QueueWorld, me: number): Partial<DispatchPorts> => ({
      readQueue: fromPromise<Result<QueueSnapshot>>(async () => {
        await world.delay();
        const snap = readNow(world, me);
        return {
          ok: true,
          value: { ...snap, claimed: snap.claimed.map((c) => ({ ...c, run: 'ended' as const })) },
        };
      }),
    });
    // Dies after its claim (2 ops of 30 ms), before taking the lock.
    const steps: QueueStep[] = [
      { kind: 'fault', fault: 'slowOps' },
      submit(),
      { kind: 'dispatch', diesAfterMs: 70 },
      advance(200),
      dispatch,
      advance(200),
    ];
    const r = await bites('entryInOnePlace', steps, { slots: slotSpecs(0, 0, 1), ports: dropsAll });
    expect(r.caught).toContain('is lost');
    expect(r.faithful).toEqual([]);
  });

  it('dispatch that ignores the pause, with a claim that does not look at the hold: queueIncidents (held queue)', async () => {
    const blindClaim = (world: QueueWorld, me: number): Partial<DispatchPorts> => ({
      claimEntry: fromPromise(async ({ input }) => {
        const entry = world.entries.get(input.runId);
        if (entry === undefined) return { ok: true, value: 'gone' as const };
        world.entries.delete(input.runId);
        const name = world.newClaimName(input.runId, me);
        world.entryClaims.set(name, { entry, claimer: me });
        noteStartGranted(world, input.runId, entry, me);
        return { ok: true, value: { runId: input.runId, name, entry } };
      }),
    });
    const steps: QueueStep[] = [{ kind: 'pause' }, submit(), dispatch, advance(50)];
    const machine = withPlan((snap) => schedule({ ...snap, hold: null }));
    const r = await bites('queueIncidents', steps, { slots: slotSpecs(0, 0, 1), machine, ports: blindClaim });
    expect(r.caught).toContain('while the queue is held (paused)');
    expect(r.faithful).toEqual([]);
  });

  it('dispatch machine that never holds after a reboot: queueIncidents (started before resume)', async () => {
    const forgetful = (world: QueueWorld, me: number): Partial<DispatchPorts> => ({
      readQueue: fromPromise<Result<QueueSnapshot>>(async () => {
        await world.delay();
        return { ok: true, value: { ...readNow(world, me), rebooted: false } };
      }),
    });
    const steps: QueueStep[] = [submit({ ms: 5_000 }), { kind: 'reboot' }, dispatch, advance(50)];
    const r = await bites('queueIncidents', steps, { slots: slotSpecs(0, 0, 1), ports: forgetful });
    expect(r.caught).toContain('after a reboot, before queue resume');
    expect(r.faithful).toEqual([]);
  });

  it('scheduler that starts held entries: queueIncidents (held entry)', async () => {
    const machine = withPlan((snap) =>
      schedule({ ...snap, entries: snap.entries.map((e) => ({ ...e, held: false })) }),
    );
    const r = await bites('queueIncidents', [submit({ held: true }), dispatch, advance(50)], {
      slots: slotSpecs(0, 0, 1),
      machine,
    });
    expect(r.caught).toContain('held entry');
    expect(r.faithful).toEqual([]);
  });

  it('scheduler that takes --after-ok for --after: queueIncidents (dependency not met)', async () => {
    const machine = withPlan((snap) =>
      schedule({
        ...snap,
        entries: snap.entries.map((e) => ({
          ...e,
          needs: { ...e.needs, after: [...e.needs.after, ...e.needs.afterOk], afterOk: [] },
        })),
      }),
    );
    const steps = [
      submit({ ms: 50, code: 3 }),
      submit({ afterOk: 0 }),
      dispatch,
      advance(100),
      dispatch,
      advance(50),
    ];
    const r = await bites('queueIncidents', steps, { slots: slotSpecs(0, 0, 2), machine });
    expect(r.caught).toContain('started though its --after-ok');
    expect(r.faithful).toEqual([]);
  });

  it('fit that counts two slots of one GPU as two GPUs: gpusDistinct', async () => {
    const machine = withPlan((snap) =>
      schedule({
        ...snap,
        slots: snap.slots.map((s) =>
          s.slot.gpu === null ? s : { ...s, slot: { ...s.slot, gpu: { ...s.slot.gpu, uuid: s.slot.name } } },
        ),
      }),
    );
    const r = await bites('gpusDistinct', [submit({ gpus: 2 }), dispatch, advance(50)], {
      slots: slotSpecs(2, 2, 0),
      machine,
    });
    expect(r.caught).toContain('asked 2 GPUs and holds gpu0a+gpu0b');
    expect(r.faithful).toEqual([]);
  });

  it('recovery that requeues any queued run whose job is gone, even one that ran: queueIncidents (discard)', async () => {
    const requeuesAll = (world: QueueWorld, me: number): Partial<DispatchPorts> => ({
      readQueue: fromPromise<Result<QueueSnapshot>>(async () => {
        await world.delay();
        recoverSlots(world, (finding, stuckMs) => {
          const d = decideRecovery(finding, stuckMs);
          return d.kind === 'finalize' && d.record.config.fromQueue === true
            ? { kind: 'requeue', record: d.record, source: d.source, now: d.detectedAt }
            : d;
        });
        world.lastRead.set(me, eligibleOrder(world));
        return { ok: true, value: snapshotOf(world) };
      }),
    });
    const steps = [submit({ ms: 50 }), dispatch, advance(100), dispatch, advance(50)];
    const r = await bites('queueIncidents', steps, { slots: slotSpecs(0, 0, 1), ports: requeuesAll });
    expect(r.caught).toContain('whose job ran');
    expect(r.faithful).toEqual([]);
  });

  it('scheduler that passes over an entry another dispatcher is still starting: queueIncidents (order)', async () => {
    const machine = withPlan((snap) => schedule(snap));
    // Lifecycle actors per slot (30 ms ops): the second dispatcher reads after the first claimed
    // the high-priority entry and claims the next before the first took its lock.
    const steps: QueueStep[] = [
      { kind: 'fault', fault: 'slowOps' },
      submit({ priority: 1 }),
      submit(),
      dispatch,
      advance(45),
      dispatch,
      advance(300),
    ];
    const r = await bites('queueIncidents', steps, { slots: slotSpecs(0, 0, 2), machine, slotActors: true });
    expect(r.caught).toContain('is not started yet');
    expect(r.faithful).toEqual([]);
  });

  it('start that takes slot locks without O_EXCL (overwrites a starting run): slotOneLiveRun', async () => {
    const overwriting = (world: QueueWorld, me: number): Partial<DispatchPorts> => {
      let n = 0;
      return {
        startRun: fromPromise<Result<StartAnswer>, { claim: EntryClaim; slots: readonly string[] }>(
          async ({ input }) => {
            const step = async () => {
              await world.delay();
              if (!world.alive(me)) await new Promise<never>(() => {});
            };
            // Free the slots first, as a lock written with O_TRUNC instead of O_EXCL would.
            const freeing = async (label: string) => {
              await step();
              if (label === 'acquireLocks')
                for (const name of input.slots)
                  world.locks[world.slots.findIndex((s) => s.name === name)] = null;
            };
            return startOnSlots(world, me, input.claim, input.slots, () => ++n, freeing);
          },
        ),
      };
    };
    // A direct `start` takes the slot (at 75) between the dispatcher's read (30) and its lock (90).
    const steps: QueueStep[] = [
      { kind: 'fault', fault: 'slowOps' },
      submit(),
      dispatch,
      advance(45),
      { kind: 'startDirect', ms: 1_000 },
      dispatch,
      advance(300),
    ];
    const r = await bites('slotOneLiveRun', steps, { slots: slotSpecs(0, 0, 1), ports: overwriting });
    expect(r.caught).toContain('holds live runs');
    expect(r.faithful).toEqual([]);
  });
});
