// The queue's scheduler (issue 12): which waiting runs start now, on which slots, and which end
// without a process because an `--after-ok` dependency did not finish. Pure: a function of what
// the disk says (machine/queue-types.ts ScheduleInput), no I/O, no clock.
//
// STRICT ORDER, NO BACKFILL. Entries are taken by priority (highest first), then arrival
// (submittedAt, then runId). The first eligible entry that does not fit blocks every later one,
// even a smaller one that would fit: a 4-GPU job is never starved by a stream of 1-GPU jobs, and
// "start order respects priority then arrival" holds without exception. Entries that are not
// eligible (held, waiting for a dependency) do not block. An entry that could not fit even on an
// empty workspace (more GPUs than the workspace has) does not block either: submit refuses it
// (`fitsWorkspace`), and one that slipped through must not stall the queue forever.
import type {
  DependencyState,
  QueueEntry,
  QueueNeeds,
  ScheduleDecision,
  ScheduleInput,
  SlotState,
} from './queue-types.ts';
import type { Outcome } from './types.ts';

/** The queue order: priority desc, then submittedAt asc, then runId asc (a total order). */
export function compareEntries(a: QueueEntry, b: QueueEntry): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.submittedAt !== b.submittedAt) return a.submittedAt - b.submittedAt;
  return a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0;
}

/** The entries in queue order (a sorted copy). */
export function queueOrder(entries: readonly QueueEntry[]): QueueEntry[] {
  return [...entries].sort(compareEntries);
}

/** Where an entry stands with its dependencies. */
export type Readiness =
  | { readonly kind: 'ready' }
  /** Some dependency has not ended yet (queued or live): wait. */
  | { readonly kind: 'waiting'; readonly on: readonly string[] }
  /** An `afterOk` dependency ended otherwise, or no record names it: the entry can never start. */
  | { readonly kind: 'failed'; readonly dependency: string; readonly outcome: Outcome | 'missing' };

/**
 * An entry's dependencies as the scheduler judges them. `after` waits for any end; a missing
 * `after` dependency has nothing left to wait for. `afterOk` needs 'finished'; a missing one can
 * never finish. A failed `afterOk` dependency is decided even while others are still pending.
 */
export function readinessOf(
  needs: QueueNeeds,
  dependencies: Readonly<Record<string, DependencyState>>,
): Readiness {
  const stateOf = (runId: string): DependencyState => dependencies[runId] ?? { state: 'missing' };
  for (const runId of needs.afterOk) {
    const dep = stateOf(runId);
    if (dep.state === 'missing') return { kind: 'failed', dependency: runId, outcome: 'missing' };
    if (dep.state === 'ended' && dep.outcome !== 'finished') {
      return { kind: 'failed', dependency: runId, outcome: dep.outcome };
    }
  }
  const pending = (runId: string) => {
    const s = stateOf(runId).state;
    return s === 'queued' || s === 'live';
  };
  const on = [...needs.afterOk, ...needs.after].filter(pending);
  return on.length === 0 ? { kind: 'ready' } : { kind: 'waiting', on: [...new Set(on)] };
}

/**
 * The slots an entry would take from the free ones, or null when it does not fit. gpus = 0: the
 * free slot with the lowest index. gpus = k: k free GPU slots on k distinct GPUs, lowest indexes
 * first. All or nothing.
 */
export function fitOf(needs: QueueNeeds, slots: readonly SlotState[]): string[] | null {
  const free = slots.filter((s) => !s.busy).sort((a, b) => a.slot.index - b.slot.index);
  if (needs.gpus <= 0) {
    const first = free[0];
    return first === undefined ? null : [first.slot.name];
  }
  const taken: string[] = [];
  const gpus = new Set<string>();
  for (const s of free) {
    const gpu = s.slot.gpu;
    if (gpu === null || gpus.has(gpu.uuid)) continue;
    gpus.add(gpu.uuid);
    taken.push(s.slot.name);
    if (taken.length === needs.gpus) return taken;
  }
  return null;
}

/** Whether the entry could fit on this workspace with every slot free (submit refuses it otherwise). */
export function fitsWorkspace(needs: QueueNeeds, slots: readonly SlotState[]): boolean {
  return (
    fitOf(
      needs,
      slots.map((s) => ({ ...s, busy: false })),
    ) !== null
  );
}

/**
 * What to do now, in queue order: 'start' decisions (each as if the earlier ones took their
 * slots) and 'fail' decisions for entries whose `afterOk` dependency did not finish. A hold
 * (paused, rebooted) starts nothing; dependency failures are still decided. Held entries start
 * never and block nothing; their dependency failures are decided too (they could never start).
 */
export function schedule(input: ScheduleInput): ScheduleDecision[] {
  const decisions: ScheduleDecision[] = [];
  let slots: SlotState[] = [...input.slots];
  let blocked = input.hold !== null;
  for (const entry of queueOrder(input.entries)) {
    const ready = readinessOf(entry.needs, input.dependencies);
    if (ready.kind === 'failed') {
      decisions.push({
        kind: 'fail',
        runId: entry.runId,
        dependency: ready.dependency,
        dependencyOutcome: ready.outcome,
      });
      continue;
    }
    if (blocked || entry.held || ready.kind === 'waiting') continue;
    if (!fitsWorkspace(entry.needs, input.slots)) continue;
    const fit = fitOf(entry.needs, slots);
    if (fit === null) {
      // Strict: nothing after the first eligible entry that does not fit may start.
      blocked = true;
      continue;
    }
    decisions.push({ kind: 'start', runId: entry.runId, slots: fit });
    const taken = new Set(fit);
    slots = slots.map((s) => (taken.has(s.slot.name) ? { ...s, busy: true } : s));
  }
  return decisions;
}
