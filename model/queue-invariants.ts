// The queue's safety properties (issue 12) as predicates over the model queue world. Each returns
// the violations it sees (empty = holds); tests check them all after every step of a history.
import { contextShapeOf } from './invariants.ts';
import type { QueueSimulation } from './queue-harness.ts';

export type QueueInvariant = (sim: QueueSimulation) => string[];

/** No slot is held by two live runs, and a live job's run holds a lock on each of its slots. */
export const slotOneLiveRun: QueueInvariant = (sim) => {
  const w = sim.world;
  const out: string[] = [];
  const holder = new Map<string, string>();
  for (const job of w.liveJobs()) {
    for (const slot of w.runSlots.get(job.runId) ?? []) {
      const other = holder.get(slot);
      if (other !== undefined && other !== job.runId)
        out.push(`slot ${slot} holds live runs ${other} and ${job.runId}`);
      holder.set(slot, job.runId);
      const i = w.slots.findIndex((s) => s.name === slot);
      if (w.locks[i]?.runId !== job.runId)
        out.push(`job of ${job.runId} is alive but slot ${slot}'s lock does not name it`);
    }
  }
  return out;
};

/** A live run's GPUs are distinct and as many as it asked; a run that asked none sits on one slot. */
export const gpusDistinct: QueueInvariant = (sim) => {
  const w = sim.world;
  return w.liveJobs().flatMap((job) => {
    const slots = w.runSlots.get(job.runId) ?? [];
    const gpus = w.submitted.get(job.runId)?.needs.gpus ?? 0;
    const uuids = slots.map((name) => w.slots.find((s) => s.name === name)?.gpu?.uuid ?? null);
    if (gpus === 0)
      return slots.length === 1 ? [] : [`${job.runId} asked no GPU but holds ${slots.length} slots`];
    const distinct = new Set(uuids.filter((u) => u !== null));
    return distinct.size === gpus && slots.length === gpus
      ? []
      : [`${job.runId} asked ${gpus} GPUs and holds ${slots.join('+')} (${uuids.join(', ')})`];
  });
};

/** A queue entry starts at most once (its job is let go at most once). */
export const startsOnce: QueueInvariant = (sim) =>
  [...sim.world.released].filter(([, n]) => n > 1).map(([runId, n]) => `${runId} started ${n} times`);

/**
 * No entry is lost and none is in two places: every submitted run is waiting, or claimed (once),
 * or holds locks, or has its record — and a waiting one has neither a lock nor a record.
 */
export const entryInOnePlace: QueueInvariant = (sim) => {
  const w = sim.world;
  const claims = new Map<string, number>();
  for (const c of w.entryClaims.values()) claims.set(c.entry.runId, (claims.get(c.entry.runId) ?? 0) + 1);
  return [...w.submitted.keys()].flatMap((runId) => {
    const waiting = w.entries.has(runId);
    const claimed = claims.get(runId) ?? 0;
    const locked = w.locked(runId);
    const ended = w.history.has(runId);
    if (claimed > 1) return [`${runId} is claimed ${claimed} times`];
    if (waiting && (claimed > 0 || locked || ended)) {
      return [
        `${runId} waits in the queue though it is ${claimed > 0 ? 'claimed' : locked ? 'locked' : 'ended'}`,
      ];
    }
    if (!waiting && claimed === 0 && !locked && !ended)
      return [`${runId} is lost: no entry, claim, lock or record`];
    return [];
  });
};

/** Every run has at most one history record. */
export const queueHistoryOnce: QueueInvariant = (sim) =>
  [...sim.world.historyCreations]
    .filter(([, n]) => n > 1)
    .map(([runId, n]) => `${runId} has ${n} history records`);

/**
 * What the world saw while operations ran: starts out of order or under a hold, held entries
 * started, dependencies not met at a start, a dependency failure that was not one, a discard of a
 * run that ran.
 */
export const queueIncidents: QueueInvariant = (sim) => [...sim.world.incidents];

/** Per slot, today's lock rule: a run whose job ran keeps a lock in some slot until its record exists. */
export const lockUntilRecorded: QueueInvariant = (sim) => {
  const w = sim.world;
  return [...w.released.keys()]
    .filter((runId) => !w.history.has(runId) && !w.locked(runId))
    .map((runId) => `${runId} ran and has neither a lock nor a record`);
};

/** Per slot, today's context-shape rule holds in every running slot lifecycle actor. */
export const slotActorShape: QueueInvariant = (sim) =>
  [...sim.world.actorsOf].flatMap(([process, actors]) =>
    [...actors].flatMap((a) =>
      contextShapeOf(a.getSnapshot()).map((v) => `process ${process}'s slot actor ${v}`),
    ),
  );

export const queueInvariants: Readonly<Record<string, QueueInvariant>> = {
  slotOneLiveRun,
  gpusDistinct,
  startsOnce,
  entryInOnePlace,
  queueHistoryOnce,
  queueIncidents,
  lockUntilRecorded,
  slotActorShape,
};

export function queueViolations(
  sim: QueueSimulation,
  which: Readonly<Record<string, QueueInvariant>> = queueInvariants,
): string[] {
  return Object.entries(which).flatMap(([name, check]) => check(sim).map((v) => `${name}: ${v}`));
}

/** At rest: every submitted run ended in exactly one history record; nothing waits or holds a slot. */
export function queueQuiescentViolations(sim: QueueSimulation): string[] {
  const w = sim.world;
  const out: string[] = [];
  if (!sim.quiet()) {
    out.push(
      `not at rest: ${w.entries.size} entries, ${w.entryClaims.size} claims, ${w.locks.filter((l) => l !== null).length} locks, ${w.slotClaims.size} lock claims, ${w.liveJobs().length} live jobs, ${sim.living().length} dispatchers`,
    );
  }
  for (const runId of w.submitted.keys()) {
    const n = w.historyCreations.get(runId) ?? 0;
    if (n !== 1) out.push(`${runId} has ${n} history records at rest`);
  }
  return out;
}
