// The safety properties of runwarden as predicates over the model world and the supervisors'
// snapshots. Each returns the violations it sees (empty = holds); tests check all after every step.
import type { SnapshotFrom } from 'xstate';
import type { MachineUnderTest, Simulation } from './harness.ts';
import { simDelays } from './harness.ts';

export type Invariant = (sim: Simulation) => string[];

/** At most one live job per workspace. */
export const oneLiveRun: Invariant = (sim) => {
  const live = sim.world.liveJobs();
  return live.length <= 1 ? [] : [`${live.length} live jobs: ${live.map((p) => p.runId).join(', ')}`];
};

/** A live job's run holds the workspace lock (a lock that turned unreadable still holds it). */
export const lockWhileLive: Invariant = (sim) => {
  const slot = sim.world.lock;
  const holder = slot === null ? null : slot.kind === 'record' ? slot.record.runId : slot.runId;
  return sim.world
    .liveJobs()
    .filter((p) => holder !== p.runId)
    .map((p) => `job of ${p.runId} is alive but the lock does not name it`);
};

/**
 * A run that took the lock keeps a lock (or claim) until its history record exists, or (a queued
 * run whose job never went, issue 12) until recovery discarded it for the queue to take back.
 */
export const lockUntilFinalized: Invariant = (sim) => {
  const locked = sim.world.lockedRuns();
  const lost = [...sim.world.locked.keys()].filter(
    (runId) => !sim.world.history.has(runId) && !locked.has(runId) && !sim.world.discarded.has(runId),
  );
  return lost.map((runId) => `run ${runId} has neither a lock nor a history record`);
};

/** No signal reaches a process other than the recorded job; no live or finished directory is deleted. */
export const noWrongEffects: Invariant = (sim) => sim.world.incidents.map((i) => `t=${i.at}: ${i.what}`);

/**
 * An interrupt the monitor took ends the job within its grace plus the kill timeout, whoever
 * died meanwhile. A stopped monitor cannot escalate: its deadline runs from when it is resumed
 * (the supervisor's own SIGKILL still ends the job meanwhile if a supervisor lives).
 */
export const abortBounded: Invariant = (sim) => {
  const now = sim.world.now;
  const late: string[] = [];
  if (sim.world.faults.monitorStopped) return late;
  for (const [runId, delivery] of sim.world.delivered) {
    const deadline =
      Math.max(delivery.at + delivery.graceMs, sim.world.monitorsResumedAt) + simDelays.killTimeoutMs;
    const alive = sim.world.liveJobs().some((p) => p.runId === runId);
    if (alive && now > deadline)
      late.push(`run ${runId} still alive ${now - deadline} ms past its abort deadline`);
  }
  return late;
};

/**
 * How long a living supervisor may take to carry out an abort it can see on disk: its recovery
 * or its watcher, then the durable steps of the interrupt, each an op latency (at most 30 ms).
 */
export const carryOutMs = 250;

/** The living supervisors that are not halted (a halted one waits for a user), with boot times. */
function working(sim: Simulation) {
  return sim.living().filter((s) => !s.actor.getSnapshot().hasTag('halted'));
}

/**
 * A recorded abort is carried out by any process that is up: the interrupt delivered (the
 * monitor then escalates on its own) and a recorded SIGKILL sent, even if the process that
 * recorded it died right after any durable step.
 */
export const abortCarriedOut: Invariant = (sim) => {
  const w = sim.world;
  const now = w.now;
  const up = working(sim);
  const out: string[] = [];
  for (const [runId, request] of w.aborts) {
    if (!w.liveJobs().some((p) => p.runId === runId)) continue;
    const since = request.forced ? w.forcedAt.get(runId) : w.abortRecordedAt.get(runId);
    if (since === undefined || (!request.forced && w.delivered.has(runId))) continue;
    // Interrupted directly (the disk refused the grace file) by a supervisor that still lives:
    // its own grace timer escalates.
    const by = w.interruptedBy.get(runId);
    if (!request.forced && by !== undefined && up.some((s) => s.ownerId === by)) continue;
    const late = up.find((s) => Math.max(s.bootedAt, since) + carryOutMs < now);
    if (late !== undefined) {
      const what = request.forced ? 'its SIGKILL' : 'its interrupt';
      out.push(
        `the abort of run ${runId} recorded at t=${since} is not carried out (${what}) though supervisor ${late.ownerId} is up`,
      );
    }
  }
  return out;
};

/** Every supervisor watching a run sees an abort recorded by another process (issue 16). */
export const observersSeeAbort: Invariant = (sim) => {
  const w = sim.world;
  return working(sim).flatMap((s) => {
    const snap = s.actor.getSnapshot();
    const runId = snap.context.run?.runId;
    if (runId === undefined || !snap.matches({ live: 'running' })) return [];
    const since = w.abortRecordedAt.get(runId);
    if (since === undefined || Math.max(since, s.bootedAt) + carryOutMs >= w.now) return [];
    return [`supervisor ${s.ownerId} still shows run ${runId} running; its abort was recorded at t=${since}`];
  });
};

/** A start resolves (running or failed) within its timeout. */
export const startBounded: Invariant = (sim) =>
  sim.living().flatMap((s) => {
    const snap = s.actor.getSnapshot();
    const asked = snap.context.startRequestedAt;
    if (!snap.matches('starting') || asked === null) return [];
    const over = sim.world.now - asked - simDelays.startTimeoutMs;
    return over > 0 ? [`supervisor ${s.ownerId} still starting ${over} ms past the start timeout`] : [];
  });

/** A supervisor in a stuck state (retrying, unkillable) says why: a wait on it ends with that error. */
export const stuckSaysWhy: Invariant = (sim) =>
  sim.living().flatMap((s) => {
    const snap = s.actor.getSnapshot();
    return snap.hasTag('stuck') && snap.context.error === null
      ? [`supervisor ${s.ownerId} is stuck in ${JSON.stringify(snap.value)} with no error`]
      : [];
  });

/** Every retry is bounded: no step is tried more often than the retry policy allows. */
export const retriesBounded: Invariant = (sim) =>
  sim.living().flatMap((s) => {
    const c = s.actor.getSnapshot().context;
    return c.attempts >= c.retry.attemptsMax
      ? [`supervisor ${s.ownerId} failed ${c.attempts} attempts (bound ${c.retry.attemptsMax})`]
      : [];
  });

/**
 * The longest a supervisor may stay busy (recovering, starting, claiming, finalising) before it
 * rests or halts: a starter held up to startStuckMs, the start timeout, and every retry's back-off.
 */
export function busyBoundMs(startStuckMs: number, retry: { capMs: number; attemptsMax: number }): number {
  const opsSlackMs = 5_000;
  return startStuckMs + simDelays.startTimeoutMs + retry.capMs * retry.attemptsMax + opsSlackMs;
}

/** Every wait ends: no supervisor stays busy past its bound (it rests, or halts with the reason). */
export const busyBounded: Invariant = (sim) =>
  sim.living().flatMap((s) => {
    if (s.busySince === null) return [];
    const c = s.actor.getSnapshot().context;
    const over = sim.world.now - s.busySince - busyBoundMs(c.startStuckMs, c.retry);
    return over > 0 ? [`supervisor ${s.ownerId} still busy ${over} ms past its bound`] : [];
  });

/** History records are never written twice for one run. */
export const historyOnce: Invariant = (sim) =>
  [...sim.world.historyCreations]
    .filter(([, n]) => n > 1)
    .map(([runId, n]) => `run ${runId} has ${n} history records`);

/**
 * A run whose job ended after an abort was requested (by any process) is recorded as aborted,
 * also when its monitor died with it and left no exit record; a rule's reason (stalled) is kept.
 */
export const abortRecorded: Invariant = (sim) =>
  [...sim.world.history.values()].flatMap((entry) => {
    const request = sim.world.aborts.get(entry.runId);
    const endedAt = sim.world.exits.get(entry.runId)?.endedAt ?? sim.world.diedAt.get(entry.runId);
    if (request === undefined || endedAt === undefined || request.requestedAt > endedAt) return [];
    // Issue 14: the job had acked a checkpoint-and-exit request before the abort was asked.
    const ack = sim.world.acks.get(entry.runId);
    if (entry.outcome === 'suspended' && ack !== undefined && ack <= request.requestedAt) return [];
    if (entry.outcome !== 'aborted') return [`run ${entry.runId} was aborted but recorded ${entry.outcome}`];
    if (request.reason === 'stalled' && entry.reason !== 'stalled')
      return [`run ${entry.runId} was aborted as stalled but recorded reason ${entry.reason}`];
    return [];
  });

/** Each run's lifecycle journal has strictly increasing sequence numbers. */
export const journalIncreasing: Invariant = (sim) =>
  [...sim.world.journal].flatMap(([runId, seqs]) =>
    seqs.some((seq, i) => i > 0 && seq <= (seqs[i - 1] ?? 0))
      ? [`journal of ${runId} is not increasing`]
      : [],
  );

/** Context fields that only make sense in some states are null elsewhere (one snapshot). */
export function contextShapeOf(snap: SnapshotFrom<MachineUnderTest>): string[] {
  const c = snap.context;
  const bad: string[] = [];
  const expect = (cond: boolean, what: string) => {
    if (!cond) bad.push(`in ${JSON.stringify(snap.value)}: ${what}`);
  };
  if (snap.matches('idle')) {
    expect(c.run === null && c.lock === null && c.handle === null, 'idle keeps run fields');
    expect(c.claim === null && c.outcome === null && c.abort === null, 'idle keeps end fields');
  }
  if (snap.matches('live')) {
    expect(c.lock !== null && c.handle !== null && c.run !== null, 'live without lock/handle/run');
    expect(c.claim === null && c.outcome === null, 'live with claim/outcome');
  }
  if (snap.matches({ live: 'aborting' })) expect(c.abort !== null, 'aborting without abort');
  // A requeue claims the lock with no outcome: the run never ran and gets no record.
  const requeue = c.decision?.kind === 'requeue';
  if (snap.matches('claiming')) expect((c.outcome !== null || requeue) && c.claim === null, 'claiming shape');
  if (snap.matches('requeuing')) expect(requeue && c.outcome === null && c.claim !== null, 'requeuing shape');
  if (snap.matches('finalizing')) expect(c.outcome !== null && c.claim !== null, 'finalizing shape');
  if (snap.matches('starting'))
    expect(c.run !== null && c.handle === null && c.claim === null, 'starting shape');
  return bad;
}

/** Context fields that only make sense in some states are null elsewhere. */
export const contextShape: Invariant = (sim) =>
  sim
    .living()
    .flatMap((s) => contextShapeOf(s.actor.getSnapshot()).map((v) => `supervisor ${s.ownerId} ${v}`));

/**
 * Issue 14: a checkpoint-and-exit request never becomes a SIGINT or SIGKILL before its deadline,
 * unless someone asked for an abort (recorded first, or sent directly because the disk refused it).
 */
export const checkpointNotKilledEarly: Invariant = (sim) => {
  const w = sim.world;
  return w.signalLog.flatMap((sent) => {
    const request = w.checkpointRequests.get(sent.runId);
    if (request === undefined || !request.exit || request.deadlineAt === null) return [];
    if (sent.at < request.requestedAt || sent.at >= request.deadlineAt) return [];
    const aborted = (w.abortRecordedAt.get(sent.runId) ?? Number.POSITIVE_INFINITY) <= sent.at;
    if (aborted || w.interruptedBy.has(sent.runId)) return [];
    return [
      `run ${sent.runId} got ${sent.sig} at t=${sent.at}, before its checkpoint deadline t=${request.deadlineAt}`,
    ];
  });
};

/** Issue 14: a run is recorded `suspended` only after its job acked the checkpoint-and-exit request. */
export const suspendedOnlyAfterAck: Invariant = (sim) => {
  const w = sim.world;
  return [...w.history.values()]
    .filter((entry) => entry.outcome === 'suspended')
    .flatMap((entry) => {
      const ack = w.acks.get(entry.runId);
      if (ack !== undefined && ack <= entry.endedAt) return [];
      return [
        `run ${entry.runId} is recorded suspended without an ack before its end (ack: ${ack ?? 'none'})`,
      ];
    });
};

export const invariants: Readonly<Record<string, Invariant>> = {
  checkpointNotKilledEarly,
  suspendedOnlyAfterAck,
  oneLiveRun,
  lockWhileLive,
  lockUntilFinalized,
  noWrongEffects,
  abortBounded,
  abortCarriedOut,
  observersSeeAbort,
  startBounded,
  historyOnce,
  abortRecorded,
  journalIncreasing,
  contextShape,
  stuckSaysWhy,
  retriesBounded,
  busyBounded,
};

/** Every violation of every invariant, prefixed with the invariant's name. */
export function violations(
  sim: Simulation,
  which: Readonly<Record<string, Invariant>> = invariants,
): string[] {
  return Object.entries(which).flatMap(([name, check]) => check(sim).map((v) => `${name}: ${v}`));
}

/** At rest (after settle), every run that took the lock has exactly one history record. */
export function quiescentViolations(sim: Simulation): string[] {
  const w = sim.world;
  const out: string[] = [];
  if (w.lock !== null) out.push('a lock remains at rest');
  if (w.claims.size > 0) out.push(`${w.claims.size} claims remain at rest`);
  if (w.liveJobs().length > 0) out.push('a job is still alive at rest');
  for (const runId of w.locked.keys()) {
    const n = w.historyCreations.get(runId) ?? 0;
    // A requeued run (issue 12) has no record; it is the queue's again.
    if (n === 0 && w.discarded.has(runId)) continue;
    if (n !== 1) out.push(`run ${runId} has ${n} history records at rest`);
  }
  return out;
}
