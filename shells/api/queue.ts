// The queue through the library API (issue 12): submit, the queue's view, its edits, and one
// dispatch (what the monitor's kick and every recovering command run).

import { createActor, toPromise } from 'xstate';
import { type DispatchReport, dispatchMachine } from '../../machine/dispatch.ts';
import { queueEndEntry } from '../../machine/dispatch-records.ts';
import type { Result } from '../../machine/ports.ts';
import type {
  EntryClaim,
  QueueEntry,
  QueueHold,
  QueueNeeds,
  QueueSnapshot,
  SlotSpec,
} from '../../machine/queue-types.ts';
import { compareEntries, fitsWorkspace, queueOrder, readinessOf } from '../../machine/schedule.ts';
import { getHistory, type HistoryRecord } from '../../runtime/local/history-store.ts';
import { bootId } from '../../runtime/local/identity.ts';
import { runIdPattern } from '../../runtime/local/layout.ts';
import { selfIdentity } from '../../runtime/local/owner.ts';
import { whileDispatching } from '../../runtime/local/ports.ts';
import {
  claimQueued,
  endClaimed,
  isBusy,
  localDispatchPorts,
  occupancyOf,
  readQueueSnapshot,
  type StartAnswer,
} from '../../runtime/local/queue-ports.ts';
import {
  editEntry,
  entryPath,
  isQueued,
  listQueue,
  publishEntry,
  removeHold,
  writeBoot,
  writeHold,
} from '../../runtime/local/queue-store.ts';
import { RunwardenError } from './errors.ts';
import type { StartOptions } from './workspace-options.ts';

/** How to submit a run: what `start` takes, plus what it needs and waits for. */
export interface SubmitOptions extends StartOptions {
  /** GPUs on distinct GPUs, one slot each (default 0: one slot, no GPU visible). */
  readonly gpus?: number;
  /** Runs that must have ended first, however (`--after`). */
  readonly after?: readonly string[];
  /** Runs that must have finished successfully first (`--after-ok`); any other end fails this one. */
  readonly afterOk?: readonly string[];
  /** Higher starts first (default 0). */
  readonly priority?: number;
  /** Queue it held: it starts only once released (`queue release`). */
  readonly hold?: boolean;
}

/** What `submit` did: started at once, queued (at a position), or ended without a process. */
export interface SubmittedRun {
  readonly id: string;
  /** 'ended': it could never start (its --after-ok dependency had already failed): see its record. */
  readonly state: 'started' | 'queued' | 'ended';
  /** 1-based place in the queue; null unless queued, or when a full workspace queued it without reading the queue (see `queue()`). */
  readonly position: number | null;
  /** The slots it runs on; empty unless started. */
  readonly slots: readonly string[];
}

/** A waiting run as `queue` shows it. */
export interface QueueViewEntry {
  readonly runId: string;
  readonly name: string;
  readonly argv: readonly string[];
  /** 1-based, in start order (priority, then arrival). */
  readonly position: number;
  readonly priority: number;
  readonly submittedAt: number;
  readonly held: boolean;
  readonly needs: QueueNeeds;
  /** What it waits for, for people: "2 GPUs", "run X to finish", "held", "the queue is paused". */
  readonly waitingFor: readonly string[];
}

/** The queue: its hold and its waiting runs in start order. */
export interface QueueView {
  readonly hold: QueueHold | null;
  readonly entries: readonly QueueViewEntry[];
  /** Entry files that cannot be read (never started): name and why. */
  readonly corrupt: readonly { readonly name: string; readonly detail: string }[];
}

export type { DispatchReport };

/** What the queue functions need of a workspace (Workspace implements it). */
export interface QueueHost {
  readonly dir: string;
  readonly layout: import('../../runtime/local/layout.ts').Layout;
  slotSpecs(): readonly SlotSpec[];
  /** Recover every slot that needs it (a lifecycle actor per slot settles). */
  recoverSlots(): Promise<unknown>;
  /** Start a claimed entry on `slots` through the lifecycle actor of its first slot. */
  startQueued(claim: EntryClaim, slots: readonly string[]): Promise<Result<StartAnswer>>;
  configOf(options: StartOptions): import('../../machine/types.ts').RunConfig;
}

const orThrow = <T>(r: Result<T>): T => {
  if (!r.ok) throw RunwardenError.of(r.error);
  return r.value;
};

/** A run id a dependency option names: exact, known to the workspace (queued, active or ended). */
function dependencyId(host: QueueHost, option: string, runId: string): string {
  if (!runIdPattern.test(runId))
    throw new RunwardenError(
      'RW_USAGE',
      `${option} ${runId}: invalid run id (letters, digits, '.', '-', '_')`,
    );
  const known =
    isQueued(host.layout, runId) ||
    getHistory(host.layout, runId) !== null ||
    occupancyOf(host.dir, host.slotSpecs()).some((o) => o.runIds.includes(runId));
  if (!known)
    throw new RunwardenError(
      'RW_USAGE',
      `${option} ${runId}: no such run in ${host.dir}; name a queued, active or ended run (runwarden list)`,
    );
  return runId;
}

/** The queue entry `options` describes (validated: RW_USAGE / RW_NOT_FOUND). */
export function entryOf(host: QueueHost, options: SubmitOptions, at: number): QueueEntry {
  const gpus = options.gpus ?? 0;
  if (!Number.isSafeInteger(gpus) || gpus < 0)
    throw new RunwardenError('RW_USAGE', `--gpus must be a whole number of at least 0, got ${gpus}`);
  const priority = options.priority ?? 0;
  if (!Number.isSafeInteger(priority))
    throw new RunwardenError('RW_USAGE', `--priority must be a whole number, got ${priority}`);
  const slots = host.slotSpecs();
  const needs: QueueNeeds = {
    gpus,
    after: [...new Set((options.after ?? []).map((id) => dependencyId(host, '--after', id)))],
    afterOk: [...new Set((options.afterOk ?? []).map((id) => dependencyId(host, '--after-ok', id)))],
  };
  if (
    !fitsWorkspace(
      needs,
      slots.map((slot) => ({ slot, busy: false })),
    )
  ) {
    const have = new Set(slots.flatMap((s) => (s.gpu === null ? [] : [s.gpu.uuid]))).size;
    throw new RunwardenError(
      'RW_USAGE',
      have === 0
        ? `--gpus ${gpus}: this workspace has no GPU slots; set them with runwarden slots --gpus`
        : `--gpus ${gpus}: this workspace has ${have} GPU${have === 1 ? '' : 's'}; ask for at most ${have}`,
    );
  }
  const config = host.configOf(options);
  const baseEnv = Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] => typeof e[1] === 'string' && e[0] !== 'RW_KICK',
    ),
  );
  return {
    runId: config.runId,
    priority,
    submittedAt: at,
    held: options.hold === true,
    needs,
    config,
    baseEnv,
  };
}

/** Submit a run: queue it, then dispatch (it starts now if it is first and fits). */
export async function submit(host: QueueHost, options: SubmitOptions): Promise<SubmittedRun> {
  const entry = entryOf(host, options, Date.now());
  orThrow(publishEntry(host.layout, entry));
  // O(slots), not O(queue): with every slot held after recovery nothing can start now, and the
  // run that frees a slot kicks a dispatch (its monitor, or whoever releases it) which sees this
  // entry. Only an --after-ok entry is decided now (its dependency may have failed already).
  await host.recoverSlots();
  const full = occupancyOf(host.dir, host.slotSpecs()).every(isBusy);
  if (full && entry.needs.afterOk.length === 0)
    return { id: entry.runId, state: 'queued', position: positionOf(host, entry), slots: [] };
  await dispatch(host);
  // Another dispatcher (a monitor's kick) may hold the entry, starting it: wait, bounded, for the
  // outcome of its claim (a lock, the entry back in the queue, or a record).
  for (let look = 0; ; look++) {
    const outcome = submittedState(host, entry.runId);
    if (outcome !== null || look >= submitLooksMax)
      return outcome ?? { id: entry.runId, state: 'queued', position: null, slots: [] };
    await new Promise((r) => setTimeout(r, Math.min(200, 5 * 2 ** look)));
  }
}

/**
 * The 1-based place of a just-published entry among the waiting ones (start order): one read of
 * the queue's entry files, none of the locks, history or dependencies the full view reads.
 */
function positionOf(host: QueueHost, entry: QueueEntry): number {
  return (
    1 +
    listQueue(host.layout).entries.filter((e) => e.runId !== entry.runId && compareEntries(e, entry) < 0)
      .length
  );
}

/** How often `submit` looks for the outcome of another dispatcher's claim (back-off to 200 ms: ~6 s). */
const submitLooksMax = 36;

/** Where a submitted run stands, or null while another process holds its entry. */
function submittedState(host: QueueHost, runId: string): SubmittedRun | null {
  const waiting = queueView(host).entries.find((e) => e.runId === runId);
  if (waiting !== undefined) return { id: runId, state: 'queued', position: waiting.position, slots: [] };
  const held = occupancyOf(host.dir, host.slotSpecs()).filter((o) => o.runIds.includes(runId));
  if (held.length > 0)
    return { id: runId, state: 'started', position: null, slots: held.map((o) => o.slot.name) };
  const record = getHistory(host.layout, runId);
  // A start that failed at once is recorded too: it did start (its record says how it ended).
  if (record !== null)
    return {
      id: runId,
      state: record.reason === 'dependency-failed' ? 'ended' : 'started',
      position: null,
      slots: record.config.slots ?? [],
    };
  return null;
}

/** The queue as people read it: start order, and what each entry waits for. */
export function queueView(host: QueueHost): QueueView {
  const listing = listQueue(host.layout);
  const snapshot = orThrow(readQueueSnapshot(host.layout, Date.now(), { writeBoot: false, listing }));
  const ordered = queueOrder(snapshot.entries);
  const entries = ordered.map(
    (entry, i): QueueViewEntry => ({
      runId: entry.runId,
      name: entry.config.name,
      argv: entry.config.argv,
      position: i + 1,
      priority: entry.priority,
      submittedAt: entry.submittedAt,
      held: entry.held,
      needs: entry.needs,
      waitingFor: waitingFor(entry, snapshot),
    }),
  );
  return {
    hold: snapshot.hold ?? (snapshot.rebooted ? { reason: 'reboot', since: snapshot.now } : null),
    entries,
    corrupt: listing.corrupt,
  };
}

function waitingFor(entry: QueueEntry, snapshot: QueueSnapshot): string[] {
  const why: string[] = [];
  if (snapshot.hold !== null || snapshot.rebooted)
    why.push(snapshot.hold?.reason === 'paused' ? 'the queue is paused' : 'the queue is held after a reboot');
  if (entry.held) why.push('held');
  const ready = readinessOf(entry.needs, snapshot.dependencies);
  if (ready.kind === 'waiting')
    for (const dep of ready.on)
      why.push(`run ${dep} to ${entry.needs.afterOk.includes(dep) ? 'finish' : 'end'}`);
  if (ready.kind === 'failed') why.push(`nothing: its dependency ${ready.dependency} did not finish`);
  const n = entry.needs.gpus;
  why.push(n === 0 ? 'a free slot' : `${n} GPU${n === 1 ? '' : 's'}`);
  return why;
}

/** Pause the queue: nothing starts until `queueResume`. Idempotent. */
export function queuePause(host: QueueHost): QueueHold {
  orThrow(writeHold(host.layout, { reason: 'paused', since: Date.now() }));
  return listQueue(host.layout).hold ?? { reason: 'paused', since: Date.now() };
}

/** Resume the queue (after a pause or a reboot): records this boot, lifts the hold, dispatches. */
export async function queueResume(host: QueueHost): Promise<DispatchReport> {
  orThrow(writeBoot(host.layout, bootId()));
  orThrow(removeHold(host.layout));
  return dispatch(host);
}

/** Why a run is not waiting: RW_CONFLICT when it started or ended, RW_NOT_FOUND when no such run. */
function notWaiting(host: QueueHost, runId: string): RunwardenError {
  const ended = getHistory(host.layout, runId) !== null;
  const active = occupancyOf(host.dir, host.slotSpecs()).some((o) => o.runIds.includes(runId));
  if (ended || active)
    return new RunwardenError(
      'RW_CONFLICT',
      `run ${runId} is not in the queue: ${ended ? 'it has ended' : 'it is running'} (runwarden queue lists the waiting runs)`,
    );
  return new RunwardenError(
    'RW_NOT_FOUND',
    `no queued run '${runId}' in ${host.dir} (runwarden queue lists them)`,
  );
}

/** Claim a waiting entry (for removal or an edit) or throw RW_NOT_FOUND. */
function claimWaiting(host: QueueHost, runId: string): EntryClaim {
  const claimed = orThrow(claimQueued(host.layout, runId, false));
  if (claimed === 'gone' || claimed === 'held') throw notWaiting(host, runId);
  return claimed;
}

/** End a waiting run without a process (removed or aborted): its single history record. */
export function endWaiting(
  host: QueueHost,
  runId: string,
  reason: 'removed-from-queue' | 'aborted-in-queue',
): HistoryRecord {
  if (!runIdPattern.test(runId)) throw new RunwardenError('RW_USAGE', `invalid run id '${runId}'`);
  const claim = claimWaiting(host, runId);
  orThrow(endClaimed(host.layout, claim, queueEndEntry(claim.entry, reason, Date.now())));
  const record = getHistory(host.layout, runId);
  if (record === null) throw new RunwardenError('RW_INTERNAL', `run ${runId}: its record did not appear`);
  return record;
}

/** Change a waiting entry (claim, publish the new one, drop the claim). */
function edit(host: QueueHost, runId: string, change: (e: QueueEntry) => QueueEntry): QueueEntry {
  if (!runIdPattern.test(runId)) throw new RunwardenError('RW_USAGE', `invalid run id '${runId}'`);
  const edited = orThrow(editEntry(host.layout, runId, selfIdentity(), change));
  if (edited === 'gone') throw notWaiting(host, runId);
  return edited;
}

/** Give a waiting run a new priority, then dispatch (it may start now). */
export async function queueMove(host: QueueHost, runId: string, priority: number): Promise<QueueEntry> {
  if (!Number.isSafeInteger(priority))
    throw new RunwardenError('RW_USAGE', `--priority must be a whole number, got ${priority}`);
  const entry = edit(host, runId, (e) => ({ ...e, priority }));
  await dispatch(host);
  return entry;
}

/** Release a held run, then dispatch. */
export async function queueRelease(host: QueueHost, runId: string): Promise<QueueEntry> {
  const entry = edit(host, runId, (e) => ({ ...e, held: false }));
  await dispatch(host);
  return entry;
}

/** Hold a waiting run: it stays queued and starts only once released. */
export function queueHold(host: QueueHost, runId: string): QueueEntry {
  return edit(host, runId, (e) => ({ ...e, held: true }));
}

/** Whether the queue directory holds anything a dispatch would act on (cheap: one listing). */
export function queueHasWork(host: QueueHost): boolean {
  const listing = listQueue(host.layout);
  return listing.entries.length > 0 || listing.claimed.length > 0;
}

/**
 * One dispatch: the dispatch machine (machine/dispatch.ts) over the local queue ports, in bounded
 * rounds: recover every slot, read the queue, hold it after a reboot, account for dead claimers'
 * entries, schedule, and carry out each decision (claim, start or end, drop). Several dispatchers
 * may run at once: each entry is claimed by exactly one, and a start that finds its slot taken
 * puts the entry back. RW_DISPATCH_FAILED when a step kept failing (its claim is left for the next
 * dispatch to account for: nothing is lost).
 */
export async function dispatch(host: QueueHost): Promise<DispatchReport> {
  const ports = localDispatchPorts(host.layout, {
    recover: async () => {
      try {
        await host.recoverSlots();
        return { ok: true, value: null };
      } catch (error) {
        const info =
          error instanceof RunwardenError ? error : new RunwardenError('RW_INTERNAL', String(error));
        return { ok: false, error: { code: info.code, message: info.message } };
      }
    },
    start: (claim, slots) => host.startQueued(claim, slots),
  });
  const actor = createActor(dispatchMachine.provide({ actors: ports }), { input: {} });
  const report = await whileDispatching(() => toPromise(actor.start()));
  if (report.stopped === 'error' && report.error !== null)
    throw new RunwardenError(
      report.error.code,
      `dispatching the queue of ${host.dir}: ${report.error.message}`,
    );
  return report;
}

/** Where a waiting run's entry file is (for messages). */
export const queueEntryPath = (host: QueueHost, runId: string): string => entryPath(host.layout, runId);
