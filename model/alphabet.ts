// The machine's full event alphabet with representative payloads, for pure graph traversal
// (xstate/graph never runs actors or timers, so their done/error/after events are listed here).
import type { AnyEventObject, AnyStateNode } from 'xstate';
import { lifecycleMachine } from '../machine/lifecycle.ts';
import type { DiskFinding, LockRecord, RunConfig } from '../machine/types.ts';
import { defaultRetention } from './harness.ts';

const config = (abortOnStall: boolean): RunConfig => ({
  runId: abortOnStall ? 'run-b' : 'run-a',
  name: 'graph',
  argv: ['job'],
  cwd: '/',
  env: {},
  graceMs: 1_000,
  stallAfterMs: 5_000,
  abortOnStall,
  retention: defaultRetention,
});

const owner = { kind: 'model', id: 1, boot: 1 };
const job = { kind: 'model', pid: 100, startTime: 1, boot: 1 };
const lockOf = (c: RunConfig, withJob: boolean): LockRecord => ({
  runId: c.runId,
  nonce: 'n',
  createdAt: 0,
  owner,
  job: withJob ? job : null,
  startedAt: withJob ? 0 : null,
  config: c,
});
const record = lockOf(config(false), true);
const starting = lockOf(config(false), false);
/** A queued run's lock whose start never let the job go (issue 12 `requeue`). */
const queuedStart: LockRecord = { ...starting, config: { ...starting.config, fromQueue: true } };
const alive = { state: 'alive' } as const;
const gone = { state: 'gone', reason: 'process-gone' } as const;
const foreign = { state: 'foreign', detail: 'uid 0' } as const;
const exit = { code: 3, signal: null, endedAt: 10 };
const present = {
  lock: 'present' as const,
  source: { kind: 'active' } as const,
  record,
  owner: alive,
  exit: null,
  abort: null,
  lastActivityAt: 0,
  now: 0,
};

/** One finding for every branch of recovery. */
export const findings: readonly DiskFinding[] = [
  { lock: 'absent', now: 0 },
  {
    lock: 'unreadable',
    detail: 'empty file',
    path: 'active.lock',
    source: { kind: 'active' },
    claimer: null,
    runs: [],
    now: 0,
  },
  {
    lock: 'unreadable',
    detail: 'owner.pid must be a positive integer, got 0',
    path: 'active.lock',
    source: { kind: 'active' },
    claimer: null,
    runs: [{ record, owner: alive, job: alive, exit: null, abort: null, lastActivityAt: 0 }],
    now: 0,
  },
  {
    lock: 'unreadable',
    detail: 'not valid JSON',
    path: 'active.lock.claimed-1',
    source: { kind: 'claim', name: 'active.lock.claimed-1' },
    claimer: gone,
    runs: [{ record, owner: gone, job: gone, exit, abort: null, lastActivityAt: 0 }],
    now: 0,
  },
  {
    lock: 'unreadable',
    detail: 'empty file',
    path: 'active.lock.claimed-1',
    source: { kind: 'claim', name: 'active.lock.claimed-1' },
    claimer: alive,
    runs: [],
    now: 0,
  },
  { ...present, record: starting, job: null },
  { ...present, record: starting, job: null, now: 1_000_000 },
  { ...present, record: starting, job: null, owner: gone },
  { ...present, record: starting, job: null, owner: foreign },
  { ...present, record: queuedStart, job: null, owner: gone },
  {
    ...present,
    record: { ...record, config: queuedStart.config },
    job: gone,
    exit: { code: 127, signal: null, endedAt: 10, notStarted: true },
  },
  { ...present, job: foreign },
  { ...present, job: alive },
  { ...present, job: alive, now: 60_000 },
  // Issue 14: a paused run (its pause record), re-attached paused.
  { ...present, job: alive, now: 60_000, paused: 5 },
  { ...present, job: alive, abort: { requestedAt: 0, graceMs: 1_000, forced: false } },
  { ...present, job: alive, abort: { requestedAt: 0, graceMs: 1_000, forced: true } },
  {
    ...present,
    job: alive,
    abort: { requestedAt: 0, graceMs: 1_000, forced: false, interruptedAt: 0 },
    now: 5_000,
  },
  { ...present, job: gone, abort: { requestedAt: 0, graceMs: 1_000, forced: false, reason: 'stalled' } },
  { ...present, job: gone, exit },
  { ...present, job: { state: 'gone', reason: 'reboot' } },
  { ...present, source: { kind: 'claim', name: 'c' }, job: gone, exit },
  { ...present, source: { kind: 'claim', name: 'c' }, job: gone, exit, owner: gone },
];

const ok = (value: unknown) => ({ ok: true, value });
const failed = { ok: false, error: { code: 'RW_TEST', message: 'refused' } };

/** Successful outputs per invoked actor (every actor also gets a failed Result and a rejection). */
const okOutputs: Record<string, readonly unknown[]> = {
  inspectDisk: findings,
  quarantineLock: [ok({ movedTo: 'active.lock.corrupt-1' })],
  acquireLock: [ok(starting)],
  spawnJob: [ok({ lock: record, handle: job, at: 0 })],
  interruptJob: [ok(null)],
  killJob: [ok(null)],
  pauseJob: [ok(null)],
  continueJob: [ok(null)],
  requestCheckpoint: [
    ok({ seq: 1, reason: 'user', exit: true, requestedAt: 0, deadlineAt: 1_000, signal: 'SIGUSR1' }),
  ],
  claimLock: [ok({ name: 'c', record }), { ok: false, error: { code: 'RW_CLAIM_LOST', message: 'lost' } }],
  recordHistory: [ok(null)],
  applyRetention: [ok(null)],
  releaseLock: [ok(null)],
  discardRun: [ok(null)],
};

/** Every event type the machine declares anywhere, read from its definition. */
export function declaredEventTypes(): string[] {
  const types = new Set<string>();
  const walk = (node: AnyStateNode) => {
    for (const type of node.transitions.keys()) types.add(type);
    for (const child of Object.values(node.states)) walk(child);
  };
  walk(lifecycleMachine.root);
  return [...types].sort();
}

/** All state node ids of the machine. */
export function stateNodeIds(): string[] {
  const ids: string[] = [];
  const walk = (node: AnyStateNode) => {
    ids.push(node.id);
    for (const child of Object.values(node.states)) walk(child);
  };
  walk(lifecycleMachine.root);
  return ids;
}

/** An event of any type with any payload. */
type AnyEvent = AnyEventObject;

/** Concrete events for one declared event type. */
function eventsOf(type: string): AnyEvent[] {
  const done = /^xstate\.done\.actor\.(.+)$/.exec(type);
  if (done) {
    const outputs = done[1] === 'inspectDisk' ? findings : [...(okOutputs[done[1] ?? ''] ?? []), failed];
    return outputs.map((output) => ({ type, output }));
  }
  if (type.startsWith('xstate.error.actor.')) return [{ type, error: new Error('crashed') }];
  if (type.startsWith('xstate.after.')) return [{ type }];
  switch (type) {
    case 'run.start':
      return [
        ...[false, true].map((stall) => ({ type, config: config(stall), at: 0 })),
        // Issue 14: a run with a time limit, asked to checkpoint before it (and one without the ask).
        { type, config: { ...config(false), timeLimitMs: 10_000, checkpointBeforeMs: 1_000 }, at: 0 },
        { type, config: { ...config(false), runId: 'run-c', timeLimitMs: 10_000 }, at: 0 },
      ];
    case 'run.abort':
    case 'run.force':
    case 'run.pause':
    case 'run.continue':
    case 'job.paused':
    case 'job.continued':
    case 'job.activity':
      return [{ type, at: 0 }];
    case 'process.exited':
      return [
        { type, exit: { code: 0, signal: null, endedAt: 10 }, abort: null },
        { type, exit, abort: null },
        { type, exit: { code: null, signal: 'SIGKILL', endedAt: 10 }, abort: null },
        { type, exit: { code: 127, signal: null, endedAt: 10, notStarted: true }, abort: null },
        {
          type,
          exit: { code: 130, signal: null, endedAt: 10 },
          abort: { requestedAt: 5, graceMs: 1_000, forced: false },
        },
        // Issue 14: the job acked a checkpoint-and-exit request, then exited.
        {
          type,
          exit: { code: 0, signal: null, endedAt: 10 },
          abort: null,
          checkpoint: {
            request: {
              seq: 1,
              reason: 'user',
              exit: true,
              requestedAt: 0,
              deadlineAt: 1_000,
              signal: 'SIGUSR1',
            },
            ackedAt: 5,
            newest: { path: '/ckpt', step: 1, request: 1 },
          },
        },
      ];
    case 'checkpoint.recorded':
      return [
        {
          type,
          request: {
            seq: 1,
            reason: 'user',
            exit: true,
            requestedAt: 0,
            deadlineAt: 1_000,
            signal: 'SIGUSR1',
          },
          at: 0,
        },
      ];
    case 'run.checkpoint':
      return [
        { type, at: 0, graceMs: 1_000 },
        { type, at: 0, graceMs: 1_000, reason: 'time-limit' },
      ];
    case 'process.lost':
      return [{ type, reason: 'process-gone', at: 10 }];
    case 'abort.recorded':
      return [
        { type, abort: { requestedAt: 5, graceMs: 1_000, forced: false, interruptedAt: null }, at: 10 },
        { type, abort: { requestedAt: 5, graceMs: 1_000, forced: true, interruptedAt: 5 }, at: 10 },
      ];
    default:
      return [{ type }];
  }
}

/** The whole alphabet: every declared type with its payloads. */
export function alphabet(): AnyEvent[] {
  return declaredEventTypes().flatMap(eventsOf);
}

/** Event types each state node handles itself. */
function handledByNode(): Map<string, readonly string[]> {
  const map = new Map<string, readonly string[]>();
  const walk = (node: AnyStateNode) => {
    map.set(node.id, [...node.transitions.keys()]);
    for (const child of Object.values(node.states)) walk(child);
  };
  walk(lifecycleMachine.root);
  return map;
}

/** The state node ids a state value is in: {live: {running: 'healthy'}} → runwarden.live, … */
export function idsOf(value: unknown, prefix = 'runwarden'): string[] {
  if (typeof value === 'string') return [`${prefix}.${value}`];
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, sub]) => [
    `${prefix}.${key}`,
    ...idsOf(sub, `${prefix}.${key}`),
  ]);
}

/**
 * The alphabet restricted to the event types some active state node handles: the others are
 * ignored by definition (the machine has no wildcard transitions), so offering them only costs time.
 */
export function alphabetFor(): (snapshot: { value: unknown }) => AnyEvent[] {
  const handled = handledByNode();
  const byType = new Map(declaredEventTypes().map((type) => [type, eventsOf(type)]));
  return (snapshot) => {
    const types = new Set(['runwarden', ...idsOf(snapshot.value)].flatMap((id) => handled.get(id) ?? []));
    return [...types].flatMap((type) => byType.get(type) ?? []);
  };
}
