// Random histories for property tests: user commands, process exits (through time), clock
// steps, supervisor crashes and faults, interpreted against a Simulation with invariant checks
// after every step.
import fc from 'fast-check';
import { type MachineUnderTest, modelConfig, Simulation } from './harness.ts';
import { type Invariant, invariants, quiescentViolations, violations } from './invariants.ts';

export type Step =
  | { readonly kind: 'boot' }
  | { readonly kind: 'crash'; readonly who: number }
  | {
      readonly kind: 'start';
      readonly who: number;
      readonly job: readonly string[];
      readonly graceMs: number;
      readonly stall: boolean;
      /** Issue 12: the run came from the queue (a start that never let its job go is requeued). */
      readonly queued?: boolean;
    }
  | {
      readonly kind: 'abort';
      readonly who: number;
      readonly graceMs: number | undefined;
      /** The requester dies right after this durable step of its abort (a failpoint). */
      readonly diesAfter?: 'recorded' | 'delivered';
    }
  | { readonly kind: 'force'; readonly who: number; readonly diesAfter?: 'forced' }
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'fault'; readonly fault: FaultName }
  | { readonly kind: 'reboot' };

export type FaultName =
  | 'spawnFails'
  | 'monitorDies'
  | 'reusePids'
  | 'slowOps'
  | 'fastOps'
  | 'corruptLock'
  | 'invalidLock'
  | 'corruptClaim'
  | 'requesterDiesRecorded'
  | 'requesterDiesDelivered'
  | 'killerDiesForced'
  | 'diskEacces'
  | 'diskErofs'
  | 'diskFull'
  | 'monitorStops'
  | 'monitorResumes'
  | 'heal';

const jobArb = fc.oneof(
  fc
    .tuple(fc.integer({ min: 1, max: 2_000 }), fc.constantFrom('0', '3'))
    .map(([ms, code]) => ['job', String(ms), code]),
  fc.constant(['job', 'forever', '0']),
  fc.constant(['job', 'forever', '0', 'ignore-int']),
);

const who = fc.nat({ max: 3 });

/** One step of a history, weighted toward commands and time. */
export const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ kind: 'boot' as const }) },
  { weight: 1, arbitrary: who.map((w) => ({ kind: 'crash' as const, who: w })) },
  {
    weight: 4,
    arbitrary: fc
      .record({
        who,
        job: jobArb,
        graceMs: fc.integer({ min: 0, max: 800 }),
        stall: fc.boolean(),
        queued: fc.boolean(),
      })
      .map((r) => ({ kind: 'start' as const, ...r })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({
        who,
        graceMs: fc.option(fc.integer({ min: 0, max: 800 }), { nil: undefined }),
        diesAfter: fc.constantFrom(undefined, undefined, 'recorded' as const, 'delivered' as const),
      })
      .map(({ diesAfter, ...r }) => ({ kind: 'abort' as const, ...r, ...(diesAfter ? { diesAfter } : {}) })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ who, diesAfter: fc.constantFrom(undefined, 'forced' as const) })
      .map(({ who: w, diesAfter }) => ({
        kind: 'force' as const,
        who: w,
        ...(diesAfter ? { diesAfter } : {}),
      })),
  },
  {
    weight: 5,
    arbitrary: fc.integer({ min: 0, max: 1_500 }).map((ms) => ({ kind: 'advance' as const, ms })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom<FaultName>(
        'spawnFails',
        'monitorDies',
        'reusePids',
        'slowOps',
        'fastOps',
        'corruptLock',
        'invalidLock',
        'corruptClaim',
        'requesterDiesRecorded',
        'requesterDiesDelivered',
        'killerDiesForced',
        'diskEacces',
        'diskErofs',
        'diskFull',
        'monitorStops',
        'monitorResumes',
        'heal',
      )
      .map((fault) => ({ kind: 'fault' as const, fault })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'reboot' as const }) },
);

export const historyArb = fc.array(stepArb, { minLength: 1, maxLength: 30 });

function applyFault(sim: Simulation, fault: FaultName): void {
  const f = sim.world.faults;
  if (fault === 'spawnFails') f.spawnFails = true;
  else if (fault === 'monitorDies') f.monitorDies = true;
  else if (fault === 'reusePids') f.reusePids = true;
  else if (fault === 'slowOps') f.opDelayMs = 30;
  else if (fault === 'fastOps') f.opDelayMs = 0;
  else if (fault === 'corruptLock') sim.world.corruptLock('NUL bytes (torn write)');
  else if (fault === 'invalidLock') sim.world.corruptLock('owner.pid must be a positive integer, got 0');
  else if (fault === 'corruptClaim') sim.world.corruptClaim('not valid JSON');
  else if (fault === 'requesterDiesRecorded') f.abortCrashAfter = 'recorded';
  else if (fault === 'requesterDiesDelivered') f.abortCrashAfter = 'delivered';
  else if (fault === 'killerDiesForced') f.abortCrashAfter = 'forced';
  else if (fault === 'diskEacces') sim.world.setDiskRefuses('EACCES');
  else if (fault === 'diskErofs') sim.world.setDiskRefuses('EROFS');
  else if (fault === 'diskFull') sim.world.setDiskRefuses('ENOSPC');
  else if (fault === 'monitorStops') sim.world.stopMonitors();
  else if (fault === 'monitorResumes') sim.world.resumeMonitors();
  else {
    Object.assign(f, {
      spawnFails: false,
      monitorDies: false,
      reusePids: false,
      opDelayMs: 3,
      abortCrashAfter: null,
    });
    sim.world.setDiskRefuses(null);
    sim.world.resumeMonitors();
  }
}

/** Apply one step. Commands go to the `who`-th living supervisor (booting one if none lives). */
export async function applyStep(sim: Simulation, step: Step): Promise<void> {
  const target = () => {
    const living = sim.living();
    if (living.length === 0) return sim.boot();
    return living[('who' in step ? step.who : 0) % living.length] ?? sim.boot();
  };
  const at = sim.clock.now();
  switch (step.kind) {
    case 'boot':
      if (sim.living().length < 4) sim.boot();
      break;
    case 'crash':
      if (sim.living().length > 0) sim.crash(target());
      break;
    case 'start': {
      const config = {
        ...modelConfig(step.job, step.graceMs, step.stall ? 400 : null),
        abortOnStall: step.stall,
        ...(step.queued === true ? { fromQueue: true } : {}),
      };
      target().actor.send({ type: 'run.start', config, at });
      break;
    }
    case 'abort': {
      const requester = target();
      if (step.diesAfter !== undefined) sim.world.failpoints.set(requester.ownerId, step.diesAfter);
      requester.actor.send(
        step.graceMs === undefined
          ? { type: 'run.abort', at }
          : { type: 'run.abort', at, graceMs: step.graceMs },
      );
      break;
    }
    case 'force': {
      const requester = target();
      if (step.diesAfter !== undefined) sim.world.failpoints.set(requester.ownerId, step.diesAfter);
      requester.actor.send({ type: 'run.force', at });
      break;
    }
    case 'advance':
      await sim.clock.advance(step.ms);
      break;
    case 'fault':
      applyFault(sim, step.fault);
      break;
    case 'reboot':
      for (const s of sim.living()) sim.crash(s);
      sim.world.reboot();
      break;
  }
  await sim.clock.advance(0);
}

export interface HistoryOptions {
  readonly machine?: MachineUnderTest;
  readonly invariantSet?: Readonly<Record<string, Invariant>>;
  /** Also settle the world and check the at-rest properties (default: true). */
  readonly atRest?: boolean;
  /** Builds the simulation (mutation tests pass broken worlds or ports). */
  readonly simulation?: () => Simulation;
}

/** Run one history; returns the first violations seen (empty = every invariant held, also at rest). */
export async function runHistory(steps: readonly Step[], options: HistoryOptions = {}): Promise<string[]> {
  const sim = options.simulation?.() ?? new Simulation({ machine: options.machine });
  const check = options.invariantSet ?? invariants;
  try {
    for (const [i, step] of steps.entries()) {
      await applyStep(sim, step);
      const bad = violations(sim, check);
      if (bad.length > 0) return [`after step ${i} ${JSON.stringify(step)}:`, ...bad];
    }
    if (options.atRest === false) return [];
    const rested = await sim.settle();
    const bad = [...violations(sim, check), ...quiescentViolations(sim)];
    if (!rested) bad.push('the world did not come to rest');
    return bad;
  } finally {
    for (const s of sim.living()) sim.crash(s);
  }
}
