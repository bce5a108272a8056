// Proves recovery's pure decisions for the faults of issue 19: an unreadable lock or claim is
// decided through the runs recorded in their run directories, and a recorded abort resumes from
// the step it reached (delivered or not, deadline passed or not).
import { describe, expect, it } from 'vitest';
import { changesNothing, decideRecovery } from '../../machine/recovery.ts';
import type { AbortRequest, DiskFinding, LockRecord, RecordedRun } from '../../machine/types.ts';
import { defaultRetention } from '../../model/harness.ts';

const record: LockRecord = {
  runId: 'run-a',
  nonce: 'n',
  createdAt: 0,
  owner: { kind: 'model', id: 1, boot: 1 },
  job: { kind: 'model', pid: 100, startTime: 1, boot: 1 },
  startedAt: 0,
  config: {
    runId: 'run-a',
    name: 'a',
    argv: ['job'],
    cwd: '/',
    env: {},
    graceMs: 1_000,
    stallAfterMs: null,
    abortOnStall: false,
    retention: defaultRetention,
  },
};
const alive = { state: 'alive' } as const;
const gone = { state: 'gone', reason: 'process-gone' } as const;
const run = (over: Partial<RecordedRun> = {}): RecordedRun => ({
  record,
  owner: gone,
  job: alive,
  exit: null,
  abort: null,
  lastActivityAt: 0,
  ...over,
});
const unreadable = (runs: RecordedRun[], over: Partial<DiskFinding> = {}): DiskFinding =>
  ({
    lock: 'unreadable',
    detail: 'NUL bytes (torn write)',
    path: '/ws/active.lock',
    source: { kind: 'active' },
    claimer: null,
    runs,
    now: 10_000,
    ...over,
  }) as DiskFinding;
const present = (over: Partial<RecordedRun>, now: number): DiskFinding => ({
  lock: 'present',
  source: { kind: 'active' },
  now,
  ...run(over),
});
const abort = (over: Partial<AbortRequest> = {}): AbortRequest => ({
  requestedAt: 1_000,
  graceMs: 1_000,
  forced: false,
  ...over,
});

describe('recovery from an unreadable lock', () => {
  it('re-attaches to a run whose job lives, naming the file, and never quarantines', () => {
    expect(decideRecovery(unreadable([run()]), 60_000)).toMatchObject({
      kind: 'reattach',
      source: { kind: 'active', unreadable: '/ws/active.lock: NUL bytes (torn write)' },
    });
  });

  it('prefers a live run over an ended one it also finds', () => {
    const ended = run({ job: gone, exit: { code: 0, signal: null, endedAt: 5 } });
    expect(decideRecovery(unreadable([ended, run()]), 60_000).kind).toBe('reattach');
  });

  it('finalises an ended run through the unreadable lock rather than forgetting it', () => {
    const ended = run({ job: gone, exit: { code: 3, signal: null, endedAt: 5 } });
    expect(decideRecovery(unreadable([ended]), 60_000)).toMatchObject({
      kind: 'finalize',
      outcome: 'failed',
      source: { kind: 'active', unreadable: expect.any(String) },
    });
  });

  it('quarantines only when no run is left to account for, naming the file', () => {
    expect(decideRecovery(unreadable([]), 60_000)).toMatchObject({
      kind: 'quarantine',
      path: '/ws/active.lock',
      detail: 'NUL bytes (torn write)',
    });
  });

  it('leaves an unreadable claim to its live claimer; finalises only ended runs through a dead one', () => {
    const claim = { source: { kind: 'claim', name: 'c' }, path: '/ws/c' } as const;
    expect(decideRecovery(unreadable([run()], { ...claim, claimer: alive }), 60_000).kind).toBe('idle');
    expect(decideRecovery(unreadable([run()], { ...claim, claimer: gone }), 60_000).kind).toBe('quarantine');
    const ended = run({ job: gone, exit: { code: 0, signal: null, endedAt: 5 } });
    expect(decideRecovery(unreadable([ended], { ...claim, claimer: gone }), 60_000)).toMatchObject({
      kind: 'finalize',
      source: { kind: 'claim', name: 'c', unreadable: '/ws/c: NUL bytes (torn write)' },
    });
  });
});

describe('recovery of a recorded abort', () => {
  it('not known delivered: delivers it with the full grace, even long after its deadline', () => {
    expect(decideRecovery(present({ abort: abort() }, 60_000), 60_000)).toMatchObject({
      kind: 'resume-abort',
      killNow: false,
      graceLeftMs: 1_000,
    });
  });

  it('delivered: the grace left counts from the delivery; past the deadline it kills now', () => {
    const delivered = abort({ interruptedAt: 1_500 });
    expect(decideRecovery(present({ abort: delivered }, 2_000), 60_000)).toMatchObject({
      killNow: false,
      graceLeftMs: 500,
    });
    expect(decideRecovery(present({ abort: delivered }, 9_000), 60_000)).toMatchObject({ killNow: true });
    expect(decideRecovery(present({ abort: abort({ forced: true }) }, 1_001), 60_000)).toMatchObject({
      killNow: true,
    });
  });

  it('of a job gone with its monitor is aborted, not orphaned, keeping a stall reason', () => {
    expect(decideRecovery(present({ job: gone, abort: abort() }, 5_000), 60_000)).toMatchObject({
      kind: 'finalize',
      outcome: 'aborted',
      reason: 'process-gone',
    });
    const stalled = abort({ reason: 'stalled' });
    const exit = { code: null, signal: 'SIGKILL', endedAt: 3_000 };
    expect(decideRecovery(present({ job: gone, exit, abort: stalled }, 5_000), 60_000)).toMatchObject({
      outcome: 'aborted',
      reason: 'stalled',
    });
  });
});

describe('which recovery decisions are only a look (nothing journaled)', () => {
  it('counts idle and re-attaching the active run as a look, and finalising or resuming an abort as a change', () => {
    expect(changesNothing(decideRecovery({ lock: 'absent' } as DiskFinding, 60_000))).toBe(true);
    expect(changesNothing(decideRecovery(present({}, 1_000), 60_000))).toBe(true);
    expect(changesNothing(null)).toBe(true);
    const ended = present({ job: gone, exit: { code: 0, signal: null, endedAt: 5 } }, 1_000);
    expect(changesNothing(decideRecovery(ended, 60_000))).toBe(false);
    expect(changesNothing(decideRecovery(present({ abort: abort() }, 60_000), 60_000))).toBe(false);
  });
});
