// Proves the queue scheduler's rules (issue 12): priority then arrival, strict (no backfill),
// all-or-nothing fits on distinct GPUs, held entries and a held queue start nothing, and
// dependencies (`after` any end, `afterOk` success only; a failed or missing one fails the entry).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type {
  DependencyState,
  QueueEntry,
  QueueHold,
  ScheduleDecision,
  ScheduleInput,
  SlotSpec,
  SlotState,
} from '../../machine/queue-types.ts';
import { fitOf, fitsWorkspace, queueOrder, readinessOf, schedule } from '../../machine/schedule.ts';
import type { Outcome, RunConfig } from '../../machine/types.ts';
import { defaultRetention } from '../../model/harness.ts';
import { fcParams } from '../model/fc-config.ts';

const configOf = (runId: string): RunConfig => ({
  runId,
  name: runId,
  argv: ['job'],
  cwd: '/',
  env: {},
  graceMs: 1_000,
  stallAfterMs: null,
  abortOnStall: false,
  retention: defaultRetention,
  fromQueue: true,
});

const entry = (runId: string, over: Partial<QueueEntry> & { gpus?: number } = {}): QueueEntry => {
  const { gpus = 0, ...rest } = over;
  return {
    runId,
    priority: 0,
    submittedAt: 0,
    held: false,
    needs: { gpus, after: [], afterOk: [] },
    config: configOf(runId),
    ...rest,
  };
};

/** Slots: `gpuOf[i]` is slot i's GPU number, or null for a plain slot. */
const slotsOf = (gpuOf: readonly (number | null)[], busy: readonly number[] = []): SlotState[] =>
  gpuOf.map((g, index) => ({
    slot: {
      name: `s${index}`,
      index,
      env: {},
      gpu: g === null ? null : { index: g, uuid: `GPU-${g}`, busId: `0000:0${g}:00.0` },
    } satisfies SlotSpec,
    busy: busy.includes(index),
  }));

const input = (over: Partial<ScheduleInput>): ScheduleInput => ({
  slots: slotsOf([null]),
  entries: [],
  dependencies: {},
  hold: null,
  ...over,
});

const starts = (ds: readonly ScheduleDecision[]) =>
  ds.flatMap((d) => (d.kind === 'start' ? [`${d.runId}@${d.slots.join('+')}`] : []));

describe('schedule, by example', () => {
  it('starts by priority, then arrival, then run id, as many as the slots take', () => {
    const entries = [
      entry('c', { submittedAt: 3 }),
      entry('a', { submittedAt: 1 }),
      entry('hi', { submittedAt: 9, priority: 5 }),
      entry('b', { submittedAt: 1 }),
    ];
    expect(starts(schedule(input({ slots: slotsOf([null, null, null]), entries })))).toEqual([
      'hi@s0',
      'a@s1',
      'b@s2',
    ]);
  });

  it('is strict: a 4-GPU entry that does not fit blocks a later 1-GPU entry that would', () => {
    const slots = slotsOf([0, 1, 2, 3], [0]);
    const entries = [entry('big', { gpus: 4, submittedAt: 1 }), entry('small', { gpus: 1, submittedAt: 2 })];
    expect(schedule(input({ slots, entries }))).toEqual([]);
    // Once the slot is free the big one goes first and takes all four.
    expect(starts(schedule(input({ slots: slotsOf([0, 1, 2, 3]), entries })))).toEqual(['big@s0+s1+s2+s3']);
  });

  it('takes k slots on k distinct GPUs: two slots of one GPU count once', () => {
    // s0, s1 on GPU 0; s2 on GPU 1; s3 on GPU 2.
    const slots = slotsOf([0, 0, 1, 2]);
    expect(starts(schedule(input({ slots, entries: [entry('x', { gpus: 3 })] })))).toEqual(['x@s0+s2+s3']);
    expect(fitOf({ gpus: 3, after: [], afterOk: [] }, slotsOf([0, 0, 1]))).toBeNull();
    // Two small jobs share GPU 0 through its two configured slots.
    const two = [entry('p', { gpus: 1, submittedAt: 1 }), entry('q', { gpus: 1, submittedAt: 2 })];
    expect(starts(schedule(input({ slots: slotsOf([0, 0]), entries: two })))).toEqual(['p@s0', 'q@s1']);
  });

  it('gives a gpus=0 entry the lowest free slot of any kind', () => {
    expect(starts(schedule(input({ slots: slotsOf([0, null], [0]), entries: [entry('x')] })))).toEqual([
      'x@s1',
    ]);
  });

  it('does not let an entry that could never fit block the queue (submit refuses it)', () => {
    const slots = slotsOf([0, 1]);
    expect(fitsWorkspace({ gpus: 3, after: [], afterOk: [] }, slots)).toBe(false);
    const entries = [entry('never', { gpus: 3, priority: 9 }), entry('ok', { gpus: 1 })];
    expect(starts(schedule(input({ slots, entries })))).toEqual(['ok@s0']);
  });

  it('skips held entries without blocking; a held queue starts nothing but still fails dependents', () => {
    const entries = [
      entry('held', { held: true, priority: 9 }),
      entry('next', { submittedAt: 1 }),
      entry('doomed', { submittedAt: 2, needs: { gpus: 0, after: [], afterOk: ['dep'] } }),
    ];
    const dependencies = { dep: { state: 'ended', outcome: 'failed' } } as const;
    expect(schedule(input({ entries, dependencies }))).toEqual([
      { kind: 'start', runId: 'next', slots: ['s0'] },
      { kind: 'fail', runId: 'doomed', dependency: 'dep', dependencyOutcome: 'failed' },
    ]);
    for (const reason of ['paused', 'reboot'] as const) {
      const hold: QueueHold = { reason, since: 0 };
      expect(schedule(input({ entries, dependencies, hold }))).toEqual([
        { kind: 'fail', runId: 'doomed', dependency: 'dep', dependencyOutcome: 'failed' },
      ]);
    }
  });

  it('waits for --after of any end and --after-ok of success; a missing after-ok dependency fails', () => {
    const needs = (after: string[], afterOk: string[]) => ({ gpus: 0, after, afterOk });
    const deps: Record<string, DependencyState> = {
      q: { state: 'queued' },
      l: { state: 'live' },
      f: { state: 'ended', outcome: 'finished' },
      x: { state: 'ended', outcome: 'aborted' },
    };
    expect(readinessOf(needs(['q', 'l'], []), deps)).toEqual({ kind: 'waiting', on: ['q', 'l'] });
    expect(readinessOf(needs(['x', 'f', 'gone'], ['f']), deps)).toEqual({ kind: 'ready' });
    expect(readinessOf(needs([], ['l', 'x']), deps)).toEqual({
      kind: 'failed',
      dependency: 'x',
      outcome: 'aborted',
    });
    expect(readinessOf(needs([], ['gone']), deps)).toEqual({
      kind: 'failed',
      dependency: 'gone',
      outcome: 'missing',
    });
    // A waiting entry does not block a later one.
    const entries = [entry('w', { needs: needs(['l'], []) }), entry('go', { submittedAt: 1 })];
    expect(starts(schedule(input({ entries, dependencies: deps })))).toEqual(['go@s0']);
  });
});

// ---- properties over random inputs ----

const outcomes: Outcome[] = ['finished', 'failed', 'aborted', 'orphaned'];
const depIds = ['d0', 'd1', 'd2', 'd3'];
const depStateArb: fc.Arbitrary<DependencyState> = fc.oneof(
  fc.constant({ state: 'queued' as const }),
  fc.constant({ state: 'live' as const }),
  fc.constantFrom(...outcomes).map((outcome) => ({ state: 'ended' as const, outcome })),
  fc.constant({ state: 'missing' as const }),
);

const inputArb: fc.Arbitrary<ScheduleInput> = fc
  .record({
    gpuOf: fc.array(fc.option(fc.nat({ max: 3 }), { nil: null }), { minLength: 1, maxLength: 8 }),
    busy: fc.array(fc.nat({ max: 7 }), { maxLength: 4 }),
    entries: fc.uniqueArray(
      fc.record({
        id: fc.nat({ max: 40 }),
        priority: fc.integer({ min: -1, max: 2 }),
        submittedAt: fc.nat({ max: 5 }),
        held: fc.boolean(),
        gpus: fc.nat({ max: 3 }),
        after: fc.subarray(depIds, { maxLength: 2 }),
        afterOk: fc.subarray(depIds, { maxLength: 2 }),
      }),
      { selector: (e) => e.id, maxLength: 10 },
    ),
    deps: fc.tuple(depStateArb, depStateArb, depStateArb),
    hold: fc.option(
      fc.constantFrom<QueueHold>({ reason: 'paused', since: 0 }, { reason: 'reboot', since: 0 }),
      {
        freq: 4,
        nil: null,
      },
    ),
  })
  .map((r) => ({
    slots: slotsOf(r.gpuOf, r.busy),
    entries: r.entries.map((e) =>
      entry(`r${e.id}`, {
        priority: e.priority,
        submittedAt: e.submittedAt,
        held: e.held,
        needs: { gpus: e.gpus, after: e.after, afterOk: e.afterOk },
      }),
    ),
    // d3 is never listed: it is missing.
    dependencies: { d0: r.deps[0], d1: r.deps[1], d2: r.deps[2] },
    hold: r.hold,
  }));

/** The reference judgement of one entry, written independently of schedule.ts. */
function eligible(e: QueueEntry, inp: ScheduleInput): boolean {
  const st = (id: string) => inp.dependencies[id] ?? { state: 'missing' as const };
  const afterOk = e.needs.afterOk.every((id) => {
    const s = st(id);
    return s.state === 'ended' && s.outcome === 'finished';
  });
  const after = e.needs.after.every((id) => {
    const s = st(id).state;
    return s === 'ended' || s === 'missing';
  });
  return !e.held && afterOk && after;
}

function doomed(e: QueueEntry, inp: ScheduleInput): boolean {
  return e.needs.afterOk.some((id) => {
    const s = inp.dependencies[id] ?? { state: 'missing' as const };
    return s.state === 'missing' || (s.state === 'ended' && s.outcome !== 'finished');
  });
}

const distinctGpusExist = (inp: ScheduleInput) =>
  new Set(inp.slots.flatMap((s) => (s.slot.gpu === null ? [] : [s.slot.gpu.uuid]))).size;

describe('schedule, over random inputs', () => {
  it('takes only free slots, each once, all or nothing, a GPU entry on distinct GPU slots', () => {
    fc.assert(
      fc.property(inputArb, (inp) => {
        const used = new Set<string>();
        const byName = new Map(inp.slots.map((s) => [s.slot.name, s]));
        for (const d of schedule(inp)) {
          if (d.kind !== 'start') continue;
          const e = inp.entries.find((x) => x.runId === d.runId);
          expect(e).toBeDefined();
          expect(d.slots).toHaveLength(Math.max(1, e?.needs.gpus ?? 0));
          const uuids = new Set<string>();
          for (const name of d.slots) {
            const s = byName.get(name);
            expect(s?.busy).toBe(false);
            expect(used.has(name)).toBe(false);
            used.add(name);
            if ((e?.needs.gpus ?? 0) > 0) {
              expect(s?.slot.gpu).not.toBeNull();
              uuids.add(s?.slot.gpu?.uuid ?? '');
            }
          }
          if ((e?.needs.gpus ?? 0) > 0) expect(uuids.size).toBe(d.slots.length);
        }
      }),
      fcParams(500),
    );
  });

  it('starts only eligible entries, none under a hold, and fails exactly the doomed ones', () => {
    fc.assert(
      fc.property(inputArb, (inp) => {
        const ds = schedule(inp);
        const decided = new Set(ds.map((d) => d.runId));
        expect(decided.size).toBe(ds.length);
        for (const d of ds) {
          const e = inp.entries.find((x) => x.runId === d.runId);
          if (e === undefined) throw new Error(`decision for an unknown entry ${d.runId}`);
          if (d.kind === 'start') {
            expect(inp.hold).toBeNull();
            expect(eligible(e, inp)).toBe(true);
          } else {
            expect(doomed(e, inp)).toBe(true);
            expect(e.needs.afterOk).toContain(d.dependency);
          }
        }
        for (const e of inp.entries) if (doomed(e, inp)) expect(decided.has(e.runId)).toBe(true);
      }),
      fcParams(500),
    );
  });

  it('is strict and greedy: the started eligible entries are a prefix of them in queue order, cut where the next does not fit', () => {
    fc.assert(
      fc.property(inputArb, (inp) => {
        if (inp.hold !== null) return;
        const ds = schedule(inp);
        const started = ds.flatMap((d) => (d.kind === 'start' ? [d.runId] : []));
        const fittable = (e: QueueEntry) => e.needs.gpus <= distinctGpusExist(inp);
        const candidates = queueOrder(inp.entries).filter((e) => eligible(e, inp) && fittable(e));
        // Decisions are in queue order and form a prefix of the candidates.
        expect(started).toEqual(candidates.slice(0, started.length).map((e) => e.runId));
        const next = candidates[started.length];
        if (next !== undefined) {
          // The first candidate not started does not fit in what the starts left free.
          const taken = new Set(ds.flatMap((d) => (d.kind === 'start' ? d.slots : [])));
          const left = inp.slots.map((s) => ({ ...s, busy: s.busy || taken.has(s.slot.name) }));
          expect(fitOf(next.needs, left)).toBeNull();
        }
      }),
      fcParams(500),
    );
  });

  it('does not depend on the order the entries were read in', () => {
    fc.assert(
      fc.property(
        inputArb.chain((inp) =>
          fc.tuple(
            fc.constant(inp),
            fc.shuffledSubarray([...inp.entries], { minLength: inp.entries.length }),
          ),
        ),
        ([inp, shuffled]) => {
          expect(schedule({ ...inp, entries: shuffled })).toEqual(schedule(inp));
        },
      ),
      fcParams(300),
    );
  });
});
