// The local dispatch ports (issue 12): what the dispatch machine asks of one workspace's queue,
// implemented on its directory. Every function answers a Result and never throws. Starting a run
// goes through a lifecycle actor of its first slot, which the library API supplies (`start`), and
// recovering the slots likewise (`recover`): this module only reads and moves files.
import { readFileSync } from 'node:fs';
import { fromPromise } from 'xstate';
import type { ClaimAnswer, StartAnswer, unprovidedDispatchPorts } from '../../machine/dispatch-ports.ts';
import type { Result } from '../../machine/ports.ts';
import type {
  ClaimedEntry,
  DependencyState,
  EntryClaim,
  QueueHold,
  QueueSnapshot,
  SlotSpec,
  SlotState,
} from '../../machine/queue-types.ts';
import type { HistoryEntry, Liveness } from '../../machine/types.ts';
import { failure, success } from '../fs/fs-error.ts';
import { getHistory, recordHistory } from './history-store.ts';
import { bootId, probe } from './identity.ts';
import type { Layout } from './layout.ts';
import { listClaims, readLock, sourcePath } from './lock-file.ts';
import { selfIdentity } from './owner.ts';
import {
  claimEntry,
  dropEntry,
  type FoundEntryClaim,
  listQueue,
  type QueueListing,
  readHold,
  restoreEntry,
  writeBoot,
  writeHold,
} from './queue-store.ts';
import { readSlots, slotLayout } from './workspace-config.ts';

export type { ClaimAnswer, StartAnswer };

/** What a slot holds now: the runs its lock and claims name. */
export interface SlotOccupancy {
  readonly slot: SlotSpec;
  /** Run ids of the slot's lock and claims (normally one or none). */
  readonly runIds: readonly string[];
}

/** The slots of a workspace and who holds each (read from the locks and claims, no probing). */
export function occupancyOf(root: string, slots: readonly SlotSpec[]): SlotOccupancy[] {
  return slots.map((slot) => {
    const layout = slotLayout(root, slot);
    const ids: string[] = [];
    const lock = readLock(layout.lock);
    if (lock.ok && lock.value.state === 'ok') ids.push(lock.value.value.runId);
    else if (lock.ok && lock.value.state === 'corrupt') ids.push('');
    for (const claim of listClaims(layout)) {
      const read = readLock(sourcePath(layout, { kind: 'claim', name: claim.name }));
      ids.push(read.ok && read.value.state === 'ok' ? read.value.value.runId : '');
    }
    return { slot, runIds: ids };
  });
}

/** Whether anything (a lock, a claim, even unreadable) holds a slot. */
export const isBusy = (o: SlotOccupancy): boolean => o.runIds.length > 0;

/** The boot time of this machine (epoch ms), from /proc/stat's btime; null if unknown. */
export function bootTimeMs(): number | null {
  try {
    const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    return m ? Number(m[1]) * 1000 : null;
  } catch {
    return null;
  }
}

function claimerLiveness(claim: FoundEntryClaim): Liveness {
  if (claim.claimer === null) return { state: 'gone', reason: 'process-gone' };
  if (claim.claimer.bootPrefix !== bootId().slice(0, 8)) return { state: 'gone', reason: 'reboot' };
  return probe({
    kind: 'local',
    pid: claim.claimer.pid,
    startTime: claim.claimer.startTime,
    bootId: bootId(),
  });
}

/**
 * Whether the queue was left behind by a reboot: the boot id it last dispatched under differs
 * from this boot's and some entry was submitted before this boot (work from before the crash).
 */
export function rebootedOf(listing: QueueListing, current: string, bootAt: number | null): boolean {
  if (listing.hold !== null || listing.boot === null || listing.boot === current) return false;
  return listing.entries.some((e) => bootAt === null || e.submittedAt < bootAt);
}

/** Everything one scheduling round needs, read in the order runs move (queue, locks, history). */
export function readQueueSnapshot(
  layout: Layout,
  now: number,
  options: { readonly writeBoot?: boolean } = {},
): Result<QueueSnapshot> {
  const slots = readSlots(layout);
  if (!slots.ok) return slots;
  const listing = listQueue(layout);
  const occupancy = occupancyOf(layout.root, slots.value);
  const live = new Set(occupancy.flatMap((o) => o.runIds));
  const queued = new Set([...listing.entries.map((e) => e.runId), ...listing.claimed.map((c) => c.runId)]);
  const dependencies: Record<string, DependencyState> = {};
  for (const entry of listing.entries) {
    for (const dep of [...entry.needs.after, ...entry.needs.afterOk]) {
      if (dependencies[dep] !== undefined) continue;
      dependencies[dep] = dependencyState(layout, dep, queued, live);
    }
  }
  const claimed: ClaimedEntry[] = listing.claimed.map((c) => ({
    runId: c.runId,
    name: c.name,
    claimer: claimerLiveness(c).state === 'gone' ? 'gone' : 'alive',
    run: getHistory(layout, c.runId) !== null ? 'ended' : live.has(c.runId) ? 'locked' : 'none',
  }));
  const current = bootId();
  const rebooted = rebootedOf(listing, current, bootTimeMs());
  // The boot the queue dispatches under, once nothing from an earlier boot is waiting unheld.
  if (options.writeBoot !== false && !rebooted && listing.boot !== current && listing.hold === null)
    writeBoot(layout, current);
  const slotStates: SlotState[] = occupancy.map((o) => ({ slot: o.slot, busy: isBusy(o) }));
  return success({
    slots: slotStates,
    entries: listing.entries,
    dependencies,
    hold: listing.hold,
    claimed,
    rebooted,
    now,
  });
}

function dependencyState(
  layout: Layout,
  runId: string,
  queued: ReadonlySet<string>,
  live: ReadonlySet<string>,
): DependencyState {
  if (queued.has(runId)) return { state: 'queued' };
  if (live.has(runId)) return { state: 'live' };
  const record = getHistory(layout, runId);
  return record === null ? { state: 'missing' } : { state: 'ended', outcome: record.outcome };
}

/** Hold the queue (a reboot): nothing starts until `queue resume`. */
export function holdQueue(layout: Layout, hold: QueueHold): Result<null> {
  return writeHold(layout, hold, hold.reason === 'reboot' ? bootId() : undefined);
}

/**
 * Claim an entry (exactly one claimer wins). A claim to start it that lands while the queue is
 * held puts it back (`'held'`): a pause between reading and claiming starts nothing.
 */
export function claimQueued(layout: Layout, runId: string, forStart: boolean): Result<ClaimAnswer> {
  const claimed = claimEntry(layout, runId, selfIdentity());
  if (!claimed.ok || claimed.value === 'gone') return claimed;
  if (forStart && readHold(layout) !== null) {
    const back = restoreEntry(layout, claimed.value.name);
    return back.ok ? success('held') : back;
  }
  return claimed;
}

/** Put a claimed entry back in the queue. */
export function restoreClaimed(layout: Layout, name: string): Result<null> {
  return restoreEntry(layout, name);
}

/** Remove a claimed entry (its run has its lock or its record). */
export function dropClaimed(layout: Layout, name: string): Result<null> {
  return dropEntry(layout, name);
}

/**
 * End a claimed entry without a process: its single history record first, then the claim goes.
 * A crash in between leaves a claim whose run has its record: the next dispatch drops it.
 */
export function endClaimed(layout: Layout, claim: EntryClaim, entry: HistoryEntry): Result<null> {
  if (entry.runId !== claim.runId)
    return failure('RW_INTERNAL', `ending ${claim.runId} with the record of ${entry.runId}`);
  const recorded = recordHistory(layout, entry);
  if (!recorded.ok) return recorded;
  return dropEntry(layout, claim.name);
}

/** What the dispatch ports need from the library API: recovering every slot, starting on a slot. */
export interface DispatchHooks {
  /** Recover every slot (a lifecycle actor per slot settles); an error as a Result. */
  recover(): Promise<Result<null>>;
  /** Start a claimed entry on `slots` through the lifecycle actor of its first slot. */
  start(claim: EntryClaim, slots: readonly string[]): Promise<Result<StartAnswer>>;
}

/** The dispatch machine's ports on the workspace at `layout` (pass to `dispatchMachine.provide`). */
export function localDispatchPorts(layout: Layout, hooks: DispatchHooks): typeof unprovidedDispatchPorts {
  return {
    readQueue: fromPromise(async () => {
      const recovered = await hooks.recover();
      return recovered.ok ? readQueueSnapshot(layout, Date.now()) : recovered;
    }),
    holdQueue: fromPromise(async ({ input }) => holdQueue(layout, { reason: input.reason, since: input.at })),
    restoreEntry: fromPromise(async ({ input }) => restoreEntry(layout, input.name)),
    dropEntry: fromPromise(async ({ input }) => dropEntry(layout, input.name)),
    claimEntry: fromPromise(async ({ input }) => claimQueued(layout, input.runId, input.forStart)),
    startRun: fromPromise(async ({ input }) => hooks.start(input.claim, input.slots)),
    endEntry: fromPromise(async ({ input }) => endClaimed(layout, input.claim, input.entry)),
  };
}
