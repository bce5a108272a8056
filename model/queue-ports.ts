// Fake dispatch ports of one dispatcher process over the model queue world (issue 12). Each
// operation waits the world's latency, then takes effect in one atomic step. A process that died
// meanwhile never takes its next step (crashes land between any two steps). Slot recovery, done
// before each read as every dispatch does, runs the machine's own decision (decideRecovery) on
// each slot's lock and carries it out: finalize (one record per run), requeue (discard), or leave.
import { fromPromise } from 'xstate';
import type { ClaimAnswer, StartAnswer, unprovidedDispatchPorts } from '../machine/dispatch-ports.ts';
import { historyEntryOf } from '../machine/outcome.ts';
import type { Result } from '../machine/ports.ts';
import type { ClaimedEntry, DependencyState, EntryClaim, QueueSnapshot } from '../machine/queue-types.ts';
import { decideRecovery } from '../machine/recovery.ts';
import type { DiskFinding, JobHandle, Liveness, LockRecord } from '../machine/types.ts';
import { settleSlot, startThroughLifecycle } from './queue-lifecycle.ts';
import { eligibleOrder, noteDependencyFailed, noteReleased, noteStartGranted } from './queue-truth.ts';
import type { QueueWorld } from './queue-world.ts';

const ok = <T>(value: T): Result<T> => ({ ok: true, value });

export type DispatchPorts = typeof unprovidedDispatchPorts;

function jobLiveness(world: QueueWorld, handle: JobHandle): Liveness {
  if (Number(handle.boot) !== world.boot) return { state: 'gone', reason: 'reboot' };
  const proc = world.procs.get(Number(handle.pid));
  if (proc === undefined || !proc.alive) return { state: 'gone', reason: 'process-gone' };
  if (proc.startTime !== Number(handle.startTime)) return { state: 'gone', reason: 'pid-reused' };
  return { state: 'alive' };
}

function ownerLiveness(world: QueueWorld, record: LockRecord): Liveness {
  if (Number(record.owner.boot) !== world.boot) return { state: 'gone', reason: 'reboot' };
  return world.alive(Number(record.owner.id))
    ? { state: 'alive' }
    : { state: 'gone', reason: 'process-gone' };
}

/** What inspecting slot `i` finds, as the lifecycle machine of that slot would be told. */
export function slotFinding(
  world: QueueWorld,
  i: number,
  lock: LockRecord | null = world.locks[i] ?? null,
): DiskFinding {
  const record = lock;
  if (record === null) return { lock: 'absent', now: world.now };
  return {
    lock: 'present',
    source: { kind: 'active' },
    now: world.now,
    record,
    owner: ownerLiveness(world, record),
    job: record.job === null ? null : jobLiveness(world, record.job),
    exit: world.exits.get(record.runId) ?? null,
    abort: null,
    lastActivityAt: null,
  };
}

/** Recover every slot with the machine's decision (each slot's actor settles). */
export function recoverSlots(world: QueueWorld, decide = decideRecovery): void {
  world.locks.forEach((_, i) => {
    const d = decide(slotFinding(world, i), 120_000);
    if (d.kind === 'finalize') {
      world.writeHistory(
        historyEntryOf({
          config: d.record.config,
          outcome: d.outcome,
          exit: d.exit,
          reason: d.reason,
          error: null,
          startedAt: d.record.startedAt,
          detectedAt: d.detectedAt,
        }),
      );
      world.locks[i] = null;
    } else if (d.kind === 'requeue') {
      world.discard(d.record.runId);
      world.locks[i] = null;
    }
  });
}

function dependencyState(world: QueueWorld, runId: string): DependencyState {
  const ended = world.history.get(runId);
  if (ended !== undefined) return { state: 'ended', outcome: ended.outcome };
  if (world.entries.has(runId) || [...world.entryClaims.values()].some((c) => c.entry.runId === runId)) {
    return { state: 'queued' };
  }
  return world.locked(runId) ? { state: 'live' } : { state: 'missing' };
}

/** The snapshot a faithful readQueue returns (mutants derive broken ones from it). */
export function snapshotOf(world: QueueWorld): QueueSnapshot {
  const entries = [...world.entries.values()];
  const deps = new Set(entries.flatMap((e) => [...e.needs.after, ...e.needs.afterOk]));
  const claimed: ClaimedEntry[] = [...world.entryClaims].map(([name, c]) => ({
    runId: c.entry.runId,
    name,
    entry: c.entry,
    claimer: world.alive(c.claimer) ? 'alive' : 'gone',
    run: world.history.has(c.entry.runId) ? 'ended' : world.locked(c.entry.runId) ? 'locked' : 'none',
  }));
  return {
    slots: world.slots.map((slot, i) => ({ slot, busy: world.slotBusy(i) })),
    entries,
    dependencies: Object.fromEntries([...deps].map((d) => [d, dependencyState(world, d)])),
    hold: world.hold,
    claimed,
    rebooted: world.queueBoot !== world.boot,
    now: world.now,
  };
}

/** One faithful read by dispatcher `me`: recover every slot, note what it saw, snapshot the queue. */
export function readNow(world: QueueWorld, me: number): QueueSnapshot {
  recoverSlots(world);
  world.lastRead.set(me, eligibleOrder(world));
  return snapshotOf(world);
}

/**
 * The dispatch ports of process `me`. `slotActors`: each slot is recovered, and each run started,
 * by the real lifecycle machine (model/queue-lifecycle.ts) instead of one atomic model step.
 */
export function queuePorts(world: QueueWorld, me: number, slotActors = false): DispatchPorts {
  const step = async (label: string): Promise<void> => {
    await world.delay(`${label}#${me}`);
    if (!world.alive(me)) await new Promise<never>(() => {});
  };
  let nonces = 0;
  return {
    readQueue: fromPromise(async () => {
      await step('readQueue');
      if (!slotActors) return ok(readNow(world, me));
      for (let i = 0; i < world.slots.length; i++) await settleSlot(world, me, i, step);
      world.lastRead.set(me, eligibleOrder(world));
      return ok(snapshotOf(world));
    }),
    holdQueue: fromPromise(async ({ input }) => {
      await step('holdQueue');
      // Only while queue/boot still names another boot: a `queue resume` since this dispatcher's
      // read must not be undone by its stale view (the real port re-reads the boot after its write).
      if (world.queueBoot !== world.boot) world.hold ??= { reason: input.reason, since: input.at };
      return ok(null);
    }),
    restoreEntry: fromPromise(async ({ input }) => {
      await step('restoreEntry');
      const c = world.entryClaims.get(input.name);
      if (c !== undefined) {
        world.entryClaims.delete(input.name);
        world.entries.set(c.entry.runId, c.entry);
      }
      return ok(null);
    }),
    dropEntry: fromPromise(async ({ input }) => {
      await step('dropEntry');
      world.entryClaims.delete(input.name);
      return ok(null);
    }),
    claimEntry: fromPromise(async ({ input }) => {
      await step('claimEntry');
      const entry = world.entries.get(input.runId);
      if (entry === undefined) return ok<ClaimAnswer>('gone');
      world.entries.delete(input.runId);
      const name = world.newClaimName(input.runId, me);
      world.entryClaims.set(name, { entry, claimer: me });
      if (input.forStart && world.hold !== null) {
        // The queue was held when the claim landed: put it back, start nothing.
        world.entryClaims.delete(name);
        world.entries.set(entry.runId, entry);
        return ok<ClaimAnswer>('held');
      }
      if (input.forStart) noteStartGranted(world, input.runId, entry, me);
      return ok<ClaimAnswer>({ runId: input.runId, name, entry } satisfies EntryClaim);
    }),
    startRun: fromPromise(async ({ input }) =>
      slotActors
        ? startThroughLifecycle(world, me, input.claim, input.slots, step)
        : startOnSlots(world, me, input.claim, input.slots, () => ++nonces, step),
    ),
    endEntry: fromPromise(async ({ input }) => {
      await step('endEntry');
      if (input.entry.reason === 'dependency-failed') noteDependencyFailed(world, input.entry);
      world.writeHistory(input.entry);
      world.entryClaims.delete(input.claim.name);
      return ok(null);
    }),
  };
}

/**
 * The lifecycle start of the first slot, step by step: take every slot's lock (all or nothing),
 * spawn the job paused and record it in each lock, then let it go. A crash between any two steps
 * leaves what a real one would: locks with no job (requeue), or a paused job that dies unrun.
 */
export async function startOnSlots(
  world: QueueWorld,
  me: number,
  claim: EntryClaim,
  slots: readonly string[],
  nonce: () => number,
  step: (label: string) => Promise<void>,
): Promise<Result<StartAnswer>> {
  await step('acquireLocks');
  const indexes = slots.map((name) => world.slots.findIndex((s) => s.name === name));
  if (indexes.some((i) => i < 0 || world.locks[i] !== null)) return ok<StartAnswer>('conflict');
  // A queued run is marked so (requeue); a direct `start` keeps its config as given.
  const queued = claim.entry.config.fromQueue === true;
  const config = { ...claim.entry.config, slots, ...(queued ? { fromQueue: true } : {}) };
  const record: LockRecord = {
    runId: config.runId,
    nonce: `${me}-${nonce()}`,
    createdAt: world.now,
    owner: world.ownerHandle(me),
    job: null,
    startedAt: null,
    config,
  };
  world.runDirs.add(config.runId);
  for (const i of indexes) world.locks[i] = record;
  world.runSlots.set(config.runId, slots);
  await step('spawnJob');
  const proc = world.spawn(config.runId, config.argv, me);
  const withJob: LockRecord = { ...record, job: world.handleOf(proc), startedAt: world.now };
  for (const i of indexes) if (world.locks[i]?.nonce === record.nonce) world.locks[i] = withJob;
  await step('releaseJob');
  noteReleased(world, config.runId);
  world.release(proc);
  return ok<StartAnswer>('started');
}
