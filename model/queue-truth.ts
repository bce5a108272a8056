// The ground truth the queue invariants judge (issue 12), computed from the model queue world
// apart from machine/schedule.ts on purpose: eligibility, queue order, and the incidents an
// operation records when it breaks a start rule (order, hold, held entry, dependencies).
import type { QueueEntry } from '../machine/queue-types.ts';
import type { HistoryEntry } from '../machine/types.ts';
import type { QueueWorld } from './queue-world.ts';

/** Queue order, written apart from machine/schedule.ts on purpose: priority, arrival, run id. */
export function modelOrder(a: QueueEntry, b: QueueEntry): number {
  return (
    b.priority - a.priority ||
    a.submittedAt - b.submittedAt ||
    (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0)
  );
}

/** Ground truth: the entry may start now (not held; after: ended or never submitted; afterOk: finished). */
export function eligibleNow(w: QueueWorld, entry: QueueEntry): boolean {
  if (entry.held) return false;
  const afterOk = entry.needs.afterOk.every((d) => w.history.get(d)?.outcome === 'finished');
  const after = entry.needs.after.every((d) => w.history.has(d) || !w.submitted.has(d));
  return afterOk && after;
}

/** How many distinct GPUs the workspace has. */
export function gpuCount(w: QueueWorld): number {
  return new Set(w.slots.flatMap((s) => (s.gpu === null ? [] : [s.gpu.uuid]))).size;
}

/** Entries a live process has claimed whose run took no lock yet (being started or edited). */
export function inProgress(w: QueueWorld): QueueEntry[] {
  return [...w.entryClaims.values()]
    .filter((c) => w.alive(c.claimer) && !w.locked(c.entry.runId) && !w.history.has(c.entry.runId))
    .map((c) => c.entry);
}

/**
 * The entries that may start now and could fit the workspace, in queue order: the waiting ones
 * and those in progress (claimed by a live process, no lock yet), which keep their place.
 */
export function eligibleOrder(w: QueueWorld): string[] {
  return [...w.entries.values(), ...inProgress(w)]
    .filter((e) => eligibleNow(w, e) && e.needs.gpus <= gpuCount(w))
    .sort(modelOrder)
    .map((e) => e.runId);
}

/**
 * A dispatcher was granted an entry to start. Held queue, held entry, or an eligible entry ahead
 * of it in the dispatcher's last read still waiting: a violation of the queue's start rules.
 */
export function noteStartGranted(w: QueueWorld, runId: string, entry: QueueEntry, dispatcher: number): void {
  const at = `t=${w.now}`;
  if (w.hold !== null)
    w.incidents.push(`${at}: ${runId} granted to start while the queue is held (${w.hold.reason})`);
  if (entry.held) w.incidents.push(`${at}: held entry ${runId} granted to start`);
  if (w.queueBoot !== w.boot) {
    w.incidents.push(`${at}: ${runId} granted to start after a reboot, before queue resume`);
  }
  const read = w.lastRead.get(dispatcher) ?? [];
  const ahead = read.slice(0, Math.max(0, read.indexOf(runId)));
  const starting = new Map(inProgress(w).map((e) => [e.runId, e]));
  for (const y of ahead) {
    const waiting = w.entries.get(y);
    if (waiting !== undefined && eligibleNow(w, waiting)) {
      w.incidents.push(`${at}: ${runId} granted to start while ${y}, ahead of it in queue order, waits`);
    }
    const other = starting.get(y);
    if (other !== undefined && eligibleNow(w, other)) {
      w.incidents.push(
        `${at}: ${runId} granted to start while ${y}, ahead of it in queue order, is not started yet`,
      );
    }
  }
}

/** A job is let go: its afterOk dependencies must have finished, its after ones ended. */
export function noteReleased(w: QueueWorld, runId: string): void {
  const entry = w.submitted.get(runId);
  if (entry === undefined) return;
  for (const d of entry.needs.afterOk) {
    const outcome = w.history.get(d)?.outcome;
    if (outcome !== 'finished')
      w.incidents.push(
        `t=${w.now}: ${runId} started though its --after-ok ${d} is ${outcome ?? 'not ended'}`,
      );
  }
  for (const d of entry.needs.after) {
    if (w.submitted.has(d) && !w.history.has(d))
      w.incidents.push(`t=${w.now}: ${runId} started though its --after ${d} has not ended`);
  }
}

/** A run ended without a process as dependency-failed: its dependency must truly not have finished. */
export function noteDependencyFailed(w: QueueWorld, entry: HistoryEntry): void {
  const dep = entry.dependency;
  if (dep === undefined) {
    w.incidents.push(`t=${w.now}: ${entry.runId} recorded dependency-failed naming no dependency`);
    return;
  }
  const truth = w.history.get(dep.runId)?.outcome ?? (w.submitted.has(dep.runId) ? 'pending' : 'missing');
  if (truth === 'finished' || truth === 'pending') {
    w.incidents.push(`t=${w.now}: ${entry.runId} recorded dependency-failed though ${dep.runId} is ${truth}`);
  }
}
