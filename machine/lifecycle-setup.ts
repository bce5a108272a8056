// The machine's named parts: context and event types, actors (ports), guards, delays and the
// named actions its transitions reference by string. machine/lifecycle.ts is the statechart.
import { assign, emit, setup } from 'xstate';
import {
  clearedRun,
  type LifecycleContext,
  type LifecycleEmitted,
  type LifecycleEvent,
  type LifecycleInput,
  resumedAbort,
  withNote,
} from './context.ts';
import { errorOf, need, okValue, outputOk } from './event-results.ts';
import { historyEntryOf } from './outcome.ts';
import { type SpawnOutput, unprovidedPorts } from './ports.ts';
import type { RecoveryKind } from './recovery.ts';
import { backoffMs, retriesExhausted } from './retry.ts';

export const lifecycleSetup = setup({
  types: {
    context: {} as LifecycleContext,
    events: {} as LifecycleEvent,
    emitted: {} as LifecycleEmitted,
    input: {} as LifecycleInput,
  },
  actors: unprovidedPorts,
  guards: {
    decisionIs: ({ context }, params: { kind: RecoveryKind }) => context.decision?.kind === params.kind,
    resultOk: ({ event }) => outputOk(event),
    abortPending: ({ context }) => context.abort !== null,
    resumeForced: ({ context }) => context.decision?.kind === 'resume-abort' && context.decision.killNow,
    recordForced: ({ event }) => event.type === 'abort.recorded' && event.abort.forced,
    abortForced: ({ context }) => context.abort?.forced === true,
    holdsLock: ({ context }) => context.lock !== null,
    stallWatched: ({ context }) => context.run?.stallAfterMs != null,
    // Read from the decision: guards run before the transition's actions adopt the run.
    silentTooLong: ({ context }) => {
      const d = context.decision;
      const stallAfterMs = d?.kind === 'reattach' ? d.record.config.stallAfterMs : null;
      return d?.kind === 'reattach' && stallAfterMs !== null && d.silentMs >= stallAfterMs;
    },
    abortOnStall: ({ context }) => context.run?.abortOnStall === true,
    // Issue 14: recovery found the run paused (its pause record).
    reattachPaused: ({ context }) =>
      context.decision?.kind === 'reattach' && context.decision.pausedAt != null,
    // Another claimer won the rename (or the lock is a newer run's): not an error, look again.
    claimLost: ({ event }) => !outputOk(event) && errorOf(event, '').code === 'RW_CLAIM_LOST',
    firstAttempt: ({ context }) => context.attempts === 0,
    // Issue 14: the run has a time limit and nothing ends it already.
    timeLimited: ({ context }) =>
      timeLimitLeftMs(context) !== null && context.abort === null && context.suspend === null,
    // Issue 14: a checkpoint-and-exit request another process recorded, its deadline not yet passed.
    exitRequestPending: ({ event }) =>
      event.type === 'checkpoint.recorded' &&
      event.request.exit &&
      (event.request.deadlineAt === null || event.request.deadlineAt > event.at),
    // Issue 14: a checkpoint is asked before the limit (--checkpoint-before), not a plain abort.
    checkpointsBeforeLimit: ({ context }) => (context.run?.checkpointBeforeMs ?? 0) > 0,
    // This failure is the last the retry policy allows: give up with the error instead.
    lastAttempt: ({ context }) => retriesExhausted(context.retry, context.attempts + 1),
  },
  delays: {
    startTimeoutMs: 30_000,
    killTimeoutMs: 10_000,
    starterRecheckMs: 250,
    // Exponential in the failures so far, capped; the bound is context.retry.attemptsMax.
    retryBackoffMs: ({ context }) => backoffMs(context.retry, context.attempts),
    abortGraceMs: ({ context }) => context.abort?.graceLeftMs ?? 0,
    stallAfterMs: ({ context }) => context.stallLeftMs ?? context.run?.stallAfterMs ?? 0,
    // Issue 14: the checkpoint-and-exit grace, counted from when this actor asked.
    checkpointGraceMs: ({ context }) => context.suspend?.graceMs ?? 0,
    // Issue 14: from now (the watch began) until the time limit's request (or abort) is due.
    timeLimitMs: ({ context }) => timeLimitLeftMs(context) ?? 0,
  },
  actions: {
    clearRun: assign(() => clearedRun()),
    countFailure: assign(({ context }) => ({ attempts: context.attempts + 1 })),
    resetAttempts: assign({ attempts: 0 }),
    // The retries are used up: keep the step's own error (it names the path and the fix) and say so.
    giveUp: assign(({ context, event }) => {
      const error = errorOf(event, 'RW_RETRIES_EXHAUSTED');
      const attempts = context.attempts + 1;
      return {
        attempts: 0,
        error: { code: error.code, message: `${error.message} (gave up after ${attempts} attempts)` },
      };
    }),
    noteClaimError: assign(({ event }) => ({ error: errorOf(event, 'RW_CLAIM_FAILED') })),
    adoptRun: assign(({ context }) => {
      const d = need(context.decision, 'decision');
      if (!('record' in d)) return {};
      const record = d.record;
      const source = 'source' in d ? d.source : null;
      const stallAfterMs = record.config.stallAfterMs;
      const silentMs = d.kind === 'reattach' ? d.silentMs : 0;
      const now = d.kind === 'reattach' ? d.now : null;
      // A run found through an unreadable lock or claim: say so, naming the file.
      const why = source?.unreadable;
      const note = { kind: 'lock-unreadable' as const, runId: record.runId, reason: why ?? '' };
      return {
        recovered: why === undefined ? context.recovered : withNote(context.recovered, note),
        run: record.config,
        lock: record,
        source,
        handle: record.job,
        startedAt: record.startedAt,
        lastActivityAt: now === null ? null : now - silentMs,
        watchingSince: now,
        stallLeftMs: stallAfterMs === null ? null : Math.max(0, stallAfterMs - silentMs),
        pausedAt: d.kind === 'reattach' ? (d.pausedAt ?? null) : null,
      };
    }),
    adoptAbort: assign(({ context }) => {
      const d = need(context.decision, 'decision');
      if (d.kind !== 'resume-abort') return {};
      const abort = resumedAbort(d.abort, d.now);
      const sent =
        abort.interruptedAt === null ? 'interrupt not yet delivered; sending it' : 'interrupt delivered';
      const note = {
        kind: 'abort-resumed' as const,
        runId: d.record.runId,
        reason: d.killNow
          ? `${sent}; its deadline passed, SIGKILL now`
          : `${sent}; ${d.graceLeftMs} ms of grace left`,
      };
      return {
        abort,
        recovered: withNote(context.recovered, note),
      };
    }),
    adoptSpawn: assign(({ event }) => {
      const spawned = okValue<SpawnOutput>(event);
      return {
        lock: spawned.lock,
        handle: spawned.handle,
        startedAt: spawned.at,
        lastActivityAt: spawned.at,
        watchingSince: spawned.at,
        stallLeftMs: spawned.lock.config.stallAfterMs,
      };
    }),
    spawnFailed: assign(({ context, event }) => {
      const error = errorOf(event, 'RW_SPAWN_FAILED');
      // The lock turned unreadable under the starter: it is still this run's, claim it as such.
      const unreadable = error.code === 'RW_LOCK_UNREADABLE' && context.source?.kind === 'active';
      return {
        outcome: 'failed' as const,
        reason: 'spawn-failed' as const,
        detectedAt: context.startRequestedAt,
        error,
        source: unreadable ? { kind: 'active' as const, unreadable: error.message } : context.source,
        endError: error,
      };
    }),
    noteStartError: assign(({ event }) => ({ error: errorOf(event, 'RW_LOCK_FAILED') })),
    announceStartRefused: emit(({ event }) => ({
      type: 'command.rejected' as const,
      command: 'run.start' as const,
      error: errorOf(event, 'RW_LOCK_FAILED'),
    })),
    // Another process recorded an abort of the run this actor watches: take it over.
    adoptRecordedAbort: assign(({ event }) =>
      event.type === 'abort.recorded' ? { abort: resumedAbort(event.abort, event.at) } : {},
    ),
    noteActivity: assign(({ context, event }) => ({
      lastActivityAt: event.type === 'job.activity' ? event.at : context.lastActivityAt,
      stallLeftMs: context.run?.stallAfterMs ?? null,
    })),
    noteSignalError: assign(({ event }) => ({ error: errorOf(event, 'RW_SIGNAL_FAILED') })),
    // Issue 14: back from a pause: a fresh stall window (the pause did not count as silence).
    resumeStallWindow: assign(({ context }) => ({
      pausedAt: null,
      stallLeftMs: context.run?.stallAfterMs ?? null,
    })),
    noteFinalizeError: assign(({ event }) => ({ error: errorOf(event, 'RW_FINALIZE_FAILED') })),
    rejectStart: emit(({ context }) => ({
      type: 'command.rejected' as const,
      command: 'run.start' as const,
      error: {
        code: 'RW_CONFLICT',
        message: `run ${context.run?.runId ?? '?'} is already active; watch it or abort it first`,
      },
    })),
    rejectNoRun: emit(({ event }) => ({
      type: 'command.rejected' as const,
      command: event.type,
      error: { code: 'RW_NO_ACTIVE_RUN', message: 'no run is active in this workspace' },
    })),
  },
});

/** The history record of the run in `context` (claiming/finalizing only). */
export function endEntry(context: LifecycleContext) {
  return historyEntryOf({
    config: need(context.run, 'run'),
    outcome: need(context.outcome, 'outcome'),
    exit: context.exit,
    reason: context.reason,
    error: context.endError ?? context.error,
    startedAt: context.startedAt,
    detectedAt: need(context.detectedAt, 'detectedAt'),
  });
}

/**
 * Issue 14: ms from when this actor began watching until the time limit acts (the checkpoint
 * request `checkpointBeforeMs` before it, else the abort); null without a limit or a start time.
 */
export function timeLimitLeftMs(context: LifecycleContext): number | null {
  const limit = context.run?.timeLimitMs;
  const started = context.startedAt;
  if (limit === undefined || started === null) return null;
  const dueAt = started + limit - (context.run?.checkpointBeforeMs ?? 0);
  return Math.max(0, dueAt - (context.watchingSince ?? started));
}
