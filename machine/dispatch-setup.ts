// The dispatch machine's named parts (issue 12): context, the report it ends with, its ports,
// guards, delays and actions. machine/dispatch.ts is the statechart.
import { assign, setup } from 'xstate';
import { unprovidedDispatchPorts } from './dispatch-ports.ts';
import { queueEndEntry } from './dispatch-records.ts';
import { errorOf, need, outputOk } from './event-results.ts';
import type { Result } from './ports.ts';
import type { ClaimedEntry, EntryClaim, QueueHold, QueueSnapshot, ScheduleDecision } from './queue-types.ts';
import { backoffMs, defaultRetry, type RetryPolicy, retriesExhausted } from './retry.ts';
import { schedule } from './schedule.ts';
import type { ErrorInfo, HistoryEntry } from './types.ts';

/** Why a dispatch ended. */
export type DispatchStop =
  /** Nothing more can start now (no entry, none eligible, or the first eligible does not fit). */
  | 'idle'
  /** The queue is held (paused, or rebooted): only dependency failures were decided. */
  | 'held'
  /** The round bound was reached with work perhaps left: the next dispatch carries on. */
  | 'rounds'
  /** A step failed past its retries, or a start answered an error: `error` says which. */
  | 'error';

/** What one dispatch did, for the caller's log and tests. */
export interface DispatchReport {
  readonly stopped: DispatchStop;
  /** Reads of the queue (one per round). */
  readonly rounds: number;
  readonly started: readonly string[];
  /** Starts that failed and were recorded by the lifecycle machine. */
  readonly startFailed: readonly string[];
  /** Entries ended without a process: an `--after-ok` dependency did not finish. */
  readonly dependencyFailed: readonly string[];
  /** Dead claimers' entries put back in the queue, and claims dropped (their run has a record). */
  readonly restored: readonly string[];
  readonly dropped: readonly string[];
  /** Claims another process won, and starts that found a slot taken: each made it read again. */
  readonly contended: number;
  /** This dispatch wrote the reboot hold. */
  readonly heldForReboot: boolean;
  readonly hold: QueueHold | null;
  readonly error: ErrorInfo | null;
}

export interface DispatchContext {
  readonly roundsMax: number;
  readonly retry: RetryPolicy;
  /** Failed attempts of the step being retried; 0 when none is. */
  readonly attempts: number;
  readonly snapshot: QueueSnapshot | null;
  /** Dead claims of this round still to account for. */
  readonly dead: readonly ClaimedEntry[];
  /** An entry was restored this round: read again before scheduling, so it is seen. */
  readonly restoredThisRound: boolean;
  /** The decisions of this round not carried out yet; the first is the current one. */
  readonly pending: readonly ScheduleDecision[];
  /** The entry this dispatcher holds (between its claim and its start, end or restore). */
  readonly claim: EntryClaim | null;
  readonly report: DispatchReport;
}

export interface DispatchInput {
  /** Reads of the queue at most (default 8). */
  readonly roundsMax?: number;
  readonly retry?: Partial<RetryPolicy>;
}

/** The machine takes no commands: it runs to its final state. */
export type DispatchEvent = { readonly type: 'dispatch.noop' };

const emptyReport: DispatchReport = {
  stopped: 'idle',
  rounds: 0,
  started: [],
  startFailed: [],
  dependencyFailed: [],
  restored: [],
  dropped: [],
  contended: 0,
  heldForReboot: false,
  hold: null,
  error: null,
};

export function initialDispatchContext(input: DispatchInput): DispatchContext {
  return {
    roundsMax: input.roundsMax ?? 8,
    retry: { ...defaultRetry, ...input.retry },
    attempts: 0,
    snapshot: null,
    dead: [],
    restoredThisRound: false,
    pending: [],
    claim: null,
    report: emptyReport,
  };
}

/** Claims whose claimer is gone and whose run says what to do (a locked run is being recovered). */
function deadClaims(snapshot: QueueSnapshot): ClaimedEntry[] {
  return snapshot.claimed.filter((c) => c.claimer === 'gone' && c.run !== 'locked');
}

/** The value of a successful Result in a done event (guards checked it). */
function resultValue<T>(event: { type: string }): T | null {
  if (!('output' in event)) return null;
  const out = event.output as Result<T>;
  return out.ok ? out.value : null;
}

/** The current decision (the first pending one). */
export function currentDecision(context: DispatchContext): ScheduleDecision {
  const d = context.pending[0];
  if (d === undefined) throw new Error('runwarden dispatch invariant: no current decision');
  return d;
}

/** The history record of the current 'fail' decision's entry. */
function dependencyFailedEntry(context: DispatchContext): HistoryEntry {
  const d = currentDecision(context);
  const claim = need(context.claim, 'claim');
  if (d.kind !== 'fail') throw new Error('runwarden dispatch invariant: ending a start decision');
  const at = need(context.snapshot, 'snapshot').now;
  return queueEndEntry(claim.entry, 'dependency-failed', at, {
    runId: d.dependency,
    outcome: d.dependencyOutcome,
  });
}

const report = (context: DispatchContext, over: Partial<DispatchReport>): DispatchReport => ({
  ...context.report,
  ...over,
});

export const dispatchSetup = setup({
  types: {
    context: {} as DispatchContext,
    events: {} as DispatchEvent,
    input: {} as DispatchInput,
    output: {} as DispatchReport,
  },
  actors: unprovidedDispatchPorts,
  guards: {
    resultOk: ({ event }) => outputOk(event),
    lastAttempt: ({ context }) => retriesExhausted(context.retry, context.attempts + 1),
    roundsLeft: ({ context }) => context.report.rounds < context.roundsMax,
    rebootedUnheld: ({ context }) => context.snapshot?.rebooted === true && context.snapshot.hold === null,
    hasDeadClaim: ({ context }) => context.dead.length > 0,
    restoredThisRound: ({ context }) => context.restoredThisRound,
    deadRunEnded: ({ context }) => context.dead[0]?.run === 'ended',
    nothingPending: ({ context }) => context.pending.length === 0,
    decisionIsStart: ({ context }) => context.pending[0]?.kind === 'start',
    answerIs: ({ event }, params: { answer: string }) =>
      outputOk(event) && resultValue(event) === params.answer,
  },
  delays: {
    retryBackoffMs: ({ context }) => backoffMs(context.retry, context.attempts),
  },
  actions: {
    countFailure: assign(({ context }) => ({ attempts: context.attempts + 1 })),
    resetAttempts: assign({ attempts: 0 }),
    giveUp: assign(({ context, event }) => {
      const error = errorOf(event, 'RW_DISPATCH_FAILED');
      const message = `${error.message} (gave up after ${context.attempts + 1} attempts)`;
      return { attempts: 0, report: report(context, { stopped: 'error', error: { ...error, message } }) };
    }),
    // A start that answered an error is never retried: its claim is left for accounting.
    stopOnError: assign(({ context, event }) => ({
      report: report(context, { stopped: 'error', error: errorOf(event, 'RW_DISPATCH_FAILED') }),
    })),
    stopAs: assign(({ context }, params: { stopped: DispatchStop }) => ({
      report: report(context, { stopped: params.stopped }),
    })),
    stopSettled: assign(({ context }) => ({
      report: report(context, { stopped: context.snapshot?.hold ? 'held' : 'idle' }),
    })),
    adoptSnapshot: assign(({ context, event }) => {
      const snapshot = need(resultValue<QueueSnapshot>(event), 'snapshot');
      return {
        attempts: 0,
        snapshot,
        dead: deadClaims(snapshot),
        restoredThisRound: false,
        pending: [],
        claim: null,
        report: report(context, { rounds: context.report.rounds + 1, hold: snapshot.hold }),
      };
    }),
    adoptHold: assign(({ context }) => {
      const snapshot = need(context.snapshot, 'snapshot');
      const hold: QueueHold = { reason: 'reboot', since: snapshot.now };
      return {
        attempts: 0,
        snapshot: { ...snapshot, hold, rebooted: false },
        report: report(context, { heldForReboot: true, hold }),
      };
    }),
    accountedDead: assign(({ context }) => {
      const [done, ...rest] = context.dead;
      if (done === undefined) return {};
      const restored = done.run === 'none';
      return {
        attempts: 0,
        dead: rest,
        restoredThisRound: context.restoredThisRound || restored,
        report: restored
          ? report(context, { restored: [...context.report.restored, done.runId] })
          : report(context, { dropped: [...context.report.dropped, done.runId] }),
      };
    }),
    plan: assign(({ context }) => ({ pending: schedule(need(context.snapshot, 'snapshot')) })),
    adoptClaim: assign(({ event }) => ({ attempts: 0, claim: resultValue<EntryClaim>(event) })),
    noteContended: assign(({ context }) => ({
      attempts: 0,
      report: report(context, { contended: context.report.contended + 1 }),
    })),
    noteStarted: assign(({ context, event }) => {
      const runId = currentDecision(context).runId;
      return resultValue(event) === 'started'
        ? { report: report(context, { started: [...context.report.started, runId] }) }
        : { report: report(context, { startFailed: [...context.report.startFailed, runId] }) };
    }),
    noteEnded: assign(({ context }) => ({
      report: report(context, {
        dependencyFailed: [...context.report.dependencyFailed, currentDecision(context).runId],
      }),
    })),
    nextDecision: assign(({ context }) => ({ attempts: 0, claim: null, pending: context.pending.slice(1) })),
  },
});

export { dependencyFailedEntry };
