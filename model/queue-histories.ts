// Random histories of a queue workspace (issue 12): submitters (with priorities, GPUs, held
// entries, --after and --after-ok on earlier runs), dispatchers (booted by commands or by monitors'
// kicks), crashes of any dispatcher at any step, queue pause/resume/release/hold, reboots, PID
// reuse, monitors that die with their job, slow operations; invariants checked after every step.
import fc from 'fast-check';
import {
  type QueueSimulation,
  type QueueSimulationOptions,
  QueueSimulation as Sim,
} from './queue-harness.ts';
import {
  type QueueInvariant,
  queueInvariants,
  queueQuiescentViolations,
  queueViolations,
} from './queue-invariants.ts';
import { gpuCount } from './queue-truth.ts';

export type QueueStep =
  | {
      readonly kind: 'submit';
      readonly ms: number;
      readonly code: number;
      readonly priority: number;
      readonly gpus: number;
      readonly held: boolean;
      /** Index (mod runs so far) of an earlier run to wait for, if any. */
      readonly after: number | null;
      readonly afterOk: number | null;
      /** The submitting command dispatches too (every command that recovers does). */
      readonly dispatch: boolean;
    }
  /** A dispatcher boots; it is SIGKILLed `diesAfterMs` later (at whatever step it is in), or never. */
  | { readonly kind: 'dispatch'; readonly diesAfterMs: number | null }
  /** Every living dispatcher (kicks included) is SIGKILLed `afterMs` from now. */
  | { readonly kind: 'crashAll'; readonly afterMs: number }
  | { readonly kind: 'crash'; readonly who: number }
  /** `runwarden start` (not the queue) on the lowest free slot: it may race a dispatcher. */
  | { readonly kind: 'startDirect'; readonly ms: number }
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'pause' }
  | { readonly kind: 'resume' }
  | { readonly kind: 'release'; readonly which: number }
  | { readonly kind: 'hold'; readonly which: number }
  | { readonly kind: 'fault'; readonly fault: QueueFault }
  | { readonly kind: 'reboot' };

export type QueueFault = 'slowOps' | 'fastOps' | 'monitorDies' | 'reusePids' | 'noKicks' | 'heal';

const dep = fc.option(fc.nat({ max: 20 }), { nil: null, freq: 3 });

export const queueStepArb: fc.Arbitrary<QueueStep> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .record({
        ms: fc.integer({ min: 1, max: 1_500 }),
        code: fc.constantFrom(0, 0, 3),
        priority: fc.integer({ min: 0, max: 2 }),
        gpus: fc.constantFrom(0, 0, 1, 1, 2, 3),
        held: fc.integer({ min: 0, max: 9 }).map((n) => n < 2),
        after: dep,
        afterOk: dep,
        dispatch: fc.boolean(),
      })
      .map((r) => ({ kind: 'submit' as const, ...r })),
  },
  {
    weight: 3,
    arbitrary: fc
      .option(fc.integer({ min: 0, max: 40 }), { nil: null })
      .map((diesAfterMs) => ({ kind: 'dispatch' as const, diesAfterMs })),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 0, max: 40 }).map((afterMs) => ({ kind: 'crashAll' as const, afterMs })),
  },
  { weight: 2, arbitrary: fc.nat({ max: 3 }).map((who) => ({ kind: 'crash' as const, who })) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 1_000 }).map((ms) => ({ kind: 'startDirect' as const, ms })),
  },
  {
    weight: 5,
    arbitrary: fc.integer({ min: 0, max: 1_200 }).map((ms) => ({ kind: 'advance' as const, ms })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'pause' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'resume' as const }) },
  { weight: 1, arbitrary: fc.nat({ max: 20 }).map((which) => ({ kind: 'release' as const, which })) },
  { weight: 1, arbitrary: fc.nat({ max: 20 }).map((which) => ({ kind: 'hold' as const, which })) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom<QueueFault>('slowOps', 'fastOps', 'monitorDies', 'reusePids', 'noKicks', 'heal')
      .map((fault) => ({ kind: 'fault' as const, fault })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'reboot' as const }) },
);

export const queueHistoryArb = fc.array(queueStepArb, { minLength: 1, maxLength: 30 });

function applyFault(sim: QueueSimulation, fault: QueueFault): void {
  const f = sim.world.faults;
  if (fault === 'slowOps') f.opDelayMs = 30;
  else if (fault === 'fastOps') f.opDelayMs = 0;
  else if (fault === 'monitorDies') f.monitorDies = true;
  else if (fault === 'reusePids') f.reusePids = true;
  else if (fault === 'noKicks') f.kicks = false;
  else Object.assign(f, { opDelayMs: 3, monitorDies: false, reusePids: false, kicks: true });
}

/** The nth submitted run id (mod how many there are), or null when none was submitted yet. */
function nthRun(sim: QueueSimulation, n: number | null): string | null {
  const ids = [...sim.world.submitted.keys()];
  return n === null || ids.length === 0 ? null : (ids[n % ids.length] ?? null);
}

export async function applyQueueStep(sim: QueueSimulation, step: QueueStep): Promise<void> {
  switch (step.kind) {
    case 'submit': {
      const after = nthRun(sim, step.after);
      const afterOk = nthRun(sim, step.afterOk);
      // submit refuses more GPUs than the workspace has (fitsWorkspace).
      const gpus = Math.min(step.gpus, gpuCount(sim.world));
      sim.submit({
        ms: step.ms,
        code: step.code,
        priority: step.priority,
        gpus,
        held: step.held,
        after: after === null ? [] : [after],
        afterOk: afterOk === null ? [] : [afterOk],
      });
      if (step.dispatch) sim.dispatch();
      break;
    }
    case 'dispatch': {
      if (sim.living().length >= 6) break;
      const d = sim.dispatch();
      if (step.diesAfterMs !== null) sim.clock.setTimeout(() => sim.crash(d), step.diesAfterMs);
      break;
    }
    case 'crashAll':
      sim.clock.setTimeout(() => {
        for (const d of sim.living()) sim.crash(d);
      }, step.afterMs);
      break;
    case 'crash': {
      const living = sim.living();
      const d = living[step.who % Math.max(1, living.length)];
      if (d !== undefined) sim.crash(d);
      break;
    }
    case 'advance':
      await sim.clock.advance(step.ms);
      break;
    case 'startDirect':
      void sim.startDirect({ ms: step.ms, code: 0 });
      break;
    case 'pause':
      sim.pause();
      break;
    case 'resume':
      sim.resume();
      break;
    case 'release':
    case 'hold': {
      const ids = [...sim.world.entries.keys()];
      const runId = ids[step.which % Math.max(1, ids.length)];
      if (runId !== undefined) sim.setHeld(runId, step.kind === 'hold');
      break;
    }
    case 'fault':
      applyFault(sim, step.fault);
      break;
    case 'reboot':
      sim.reboot();
      break;
  }
  await sim.clock.advance(0);
}

export interface QueueHistoryOptions extends QueueSimulationOptions {
  readonly invariantSet?: Readonly<Record<string, QueueInvariant>>;
  /** Also settle the world and check the at-rest properties (default: true). */
  readonly atRest?: boolean;
  /** Told every dispatcher state value the history visited. */
  readonly visited?: Set<string>;
}

/** Run one history; returns the first violations seen (empty = every invariant held, also at rest). */
export async function runQueueHistory(
  steps: readonly QueueStep[],
  options: QueueHistoryOptions = {},
): Promise<string[]> {
  // Every operation takes a few ms by default, so dispatchers overlap and crashes land mid-way.
  const sim = new Sim({ ...options, faults: { opDelayMs: 3, ...options.faults } });
  const check = options.invariantSet ?? queueInvariants;
  try {
    for (const [i, step] of steps.entries()) {
      await applyQueueStep(sim, step);
      const bad = queueViolations(sim, check);
      if (bad.length > 0) return [`after step ${i} ${JSON.stringify(step)}:`, ...bad];
    }
    if (options.atRest === false) return [];
    const rested = await sim.settle();
    const bad = [...queueViolations(sim, check), ...queueQuiescentViolations(sim)];
    if (!rested) bad.push('the queue did not come to rest');
    return bad;
  } finally {
    for (const d of sim.living()) sim.crash(d);
    for (const v of sim.visited) options.visited?.add(v);
  }
}
