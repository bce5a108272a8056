// The real lifecycle machine per slot in the model queue world (issue 12): the ports of slot i's
// lifecycle actor in process `me` (inspect, the k-lock acquire with O_EXCL each and rollback,
// spawn, claim, record, discard, release), a recovery that lets each slot's actor settle, and a
// start through the first slot's actor. Each port waits one operation, then acts atomically.
import { createActor, fromCallback, fromPromise } from 'xstate';
import type { StartAnswer } from '../machine/dispatch-ports.ts';
import { lifecycleMachine } from '../machine/lifecycle.ts';
import type { Result, unprovidedPorts } from '../machine/ports.ts';
import type { EntryClaim } from '../machine/queue-types.ts';
import type { ClaimRef, DiskFinding, LockRecord } from '../machine/types.ts';
import { simDelays, simRetry } from './harness.ts';
import { slotFinding } from './queue-ports.ts';
import { noteReleased } from './queue-truth.ts';
import type { QueueWorld } from './queue-world.ts';

type LifecyclePorts = typeof unprovidedPorts;
type Step = (label: string) => Promise<void>;

const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const fail = <T>(code: string, message: string): Result<T> => ({ ok: false, error: { code, message } });
const quiet = fromCallback<{ type: 'noop' }>(() => () => {});
const quietJob = fromCallback<{ type: 'noop' }, { lock: LockRecord }>(() => () => {});

/** Slot i's finding, a claim of it included (a finaliser renamed the lock aside). */
function findingOfSlot(world: QueueWorld, i: number): DiskFinding {
  const f = slotFinding(world, i);
  if (f.lock !== 'absent') return f;
  for (const [name, c] of world.slotClaims) {
    if (c.slot !== i) continue;
    const present = slotFinding(world, i, c.record);
    if (present.lock !== 'present') break;
    const alive = world.alive(c.claimer);
    return {
      ...present,
      source: { kind: 'claim', name },
      owner: alive ? { state: 'alive' } : { state: 'gone', reason: 'process-gone' },
    };
  }
  return f;
}

/** The lifecycle ports of slot `i` in process `me`. */
export function slotLifecyclePorts(world: QueueWorld, me: number, i: number, step: Step): LifecyclePorts {
  let nonces = 0;
  const indexOf = (name: string) => world.slots.findIndex((s) => s.name === name);
  return {
    inspectDisk: fromPromise(async () => {
      await step(`inspect${i}`);
      return findingOfSlot(world, i);
    }),
    quarantineLock: fromPromise(async () =>
      fail('RW_QUARANTINE_FAILED', 'no corrupt locks in the queue model'),
    ),
    watchWorkspace: quiet,
    acquireLock: fromPromise(async ({ input }) => {
      // One O_EXCL create per slot in slot order; on any EEXIST, remove those made (try-lock).
      const slots = input.config.slots ?? [world.slots[i]?.name ?? ''];
      nonces += 1;
      const record: LockRecord = {
        runId: input.config.runId,
        nonce: `${me}-${i}-${nonces}`,
        createdAt: input.at,
        owner: world.ownerHandle(me),
        job: null,
        startedAt: null,
        config: input.config,
      };
      world.runDirs.add(record.runId);
      const made: number[] = [];
      for (const name of slots) {
        await step(`acquire ${name}`);
        const j = indexOf(name);
        if (j < 0 || world.slotBusy(j)) {
          for (const k of made) if (world.locks[k]?.nonce === record.nonce) world.locks[k] = null;
          return fail<LockRecord>('RW_CONFLICT', `slot ${name} is held`);
        }
        world.locks[j] = record;
        made.push(j);
      }
      world.runSlots.set(record.runId, slots);
      return ok(record);
    }),
    spawnJob: fromPromise(async ({ input }) => {
      await step(`spawn${i}`);
      const proc = world.spawn(input.lock.runId, input.lock.config.argv, me);
      const lock: LockRecord = { ...input.lock, job: world.handleOf(proc), startedAt: world.now };
      for (const name of input.lock.config.slots ?? []) {
        const j = indexOf(name);
        if (world.locks[j]?.nonce === input.lock.nonce) world.locks[j] = lock;
      }
      await step(`go${i}`);
      noteReleased(world, lock.runId);
      world.release(proc);
      return ok({ lock, handle: world.handleOf(proc), at: lock.startedAt ?? world.now });
    }),
    watchJob: quietJob,
    interruptJob: fromPromise(async () => ok(null)),
    killJob: fromPromise(async () => ok(null)),
    claimLock: fromPromise(async ({ input }) => {
      await step(`claim${i}`);
      const name = `slot${i}.lock.claimed-${me}-${++nonces}`;
      if (input.source.kind === 'active') {
        if (world.locks[i]?.nonce !== input.record.nonce)
          return fail<ClaimRef>('RW_CLAIM_LOST', 'claimed first');
        world.locks[i] = null;
      } else {
        if (!world.slotClaims.has(input.source.name)) return fail<ClaimRef>('RW_CLAIM_LOST', 'claimed first');
        world.slotClaims.delete(input.source.name);
      }
      world.slotClaims.set(name, { slot: i, record: input.record, claimer: me });
      return ok({ name, record: input.record });
    }),
    recordHistory: fromPromise(async ({ input }) => {
      await step(`record${i}`);
      world.writeHistory(input.entry);
      return ok(null);
    }),
    applyRetention: fromPromise(async () => ok(null)),
    discardRun: fromPromise(async ({ input }) => {
      await step(`discard${i}`);
      world.discard(input.claim.record.runId);
      return ok(null);
    }),
    releaseLock: fromPromise(async ({ input }) => {
      await step(`release${i}`);
      world.slotClaims.delete(input.claim.name);
      return ok(null);
    }),
  };
}

/** Boot slot i's lifecycle actor in process `me` (stopped with the process). */
function bootSlotActor(world: QueueWorld, me: number, i: number, step: Step) {
  const logic = lifecycleMachine.provide({
    actors: slotLifecyclePorts(world, me, i, step),
    delays: simDelays,
  });
  const actor = createActor(logic, { clock: world.clock, input: { retry: simRetry } });
  const set = world.actorsOf.get(me) ?? new Set();
  set.add(actor);
  world.actorsOf.set(me, set);
  actor.start();
  return {
    actor,
    done: () => {
      actor.stop();
      set.delete(actor);
    },
  };
}

/** Resolve once the actor's snapshot satisfies `until` (or never, if the process dies). */
function whenSnapshot<T>(
  actor: ReturnType<typeof bootSlotActor>['actor'],
  until: (snap: ReturnType<typeof actor.getSnapshot>) => T | null,
): Promise<T> {
  return new Promise((resolve) => {
    const check = (snap: ReturnType<typeof actor.getSnapshot>) => {
      const answer = until(snap);
      if (answer !== null) {
        sub.unsubscribe();
        resolve(answer);
      }
    };
    const sub = actor.subscribe(check);
    check(actor.getSnapshot());
  });
}

/**
 * Recover slot i with its own lifecycle actor: it settles (idle, live, halted) or finds a live
 * starter holding the slot (recovering.waiting: the slot stays busy); then the actor stops.
 */
export async function settleSlot(world: QueueWorld, me: number, i: number, step: Step): Promise<void> {
  const { actor, done } = bootSlotActor(world, me, i, step);
  await whenSnapshot(actor, (snap) =>
    snap.hasTag('settled') || snap.matches({ recovering: 'waiting' }) ? true : null,
  );
  done();
}

/** Start the claimed run through its first slot's lifecycle actor. */
export async function startThroughLifecycle(
  world: QueueWorld,
  me: number,
  claim: EntryClaim,
  slots: readonly string[],
  step: Step,
): Promise<Result<StartAnswer>> {
  const first = world.slots.findIndex((s) => s.name === slots[0]);
  const { actor, done } = bootSlotActor(world, me, first, step);
  let refused = false;
  actor.on('command.rejected', () => {
    refused = true;
  });
  const booted = await whenSnapshot(actor, (snap) => (snap.hasTag('settled') ? snap : null));
  if (!booted.matches('idle')) {
    done();
    return ok<StartAnswer>('conflict');
  }
  const config = { ...claim.entry.config, slots, fromQueue: true };
  actor.send({ type: 'run.start', config, at: world.now });
  const answer = await whenSnapshot<StartAnswer>(actor, (snap) => {
    if (snap.hasTag('live')) return 'started';
    if (snap.matches('idle')) return refused ? 'conflict' : 'failed';
    if (snap.hasTag('halted')) return 'failed';
    return null;
  });
  done();
  return ok(answer);
}
