// One dispatch of a workspace's queue (issue 12) as an XState v5 machine over the dispatch ports:
// read -> (rebooted: hold) -> account for dead claims -> schedule -> for each decision: claim ->
// start or end -> drop -> read again. Bounded: at most `roundsMax` reads, each port retried with
// back-off at most `retry.attemptsMax` times; it always reaches `done`, whose output says what it did.
//
// Safety rests on the claim: an entry is started only by the one process whose rename took it,
// and any surprise (a claim lost, a slot taken, the queue held meanwhile) makes it read again
// rather than act on a stale view. A start is never retried: a start that answered an error
// leaves its claim, which accounting settles from the disk (record: drop; lock: leave; none: restore).

import {
  currentDecision,
  type DispatchContext,
  dependencyFailedEntry,
  dispatchSetup,
  initialDispatchContext,
} from './dispatch-setup.ts';
import { need } from './event-results.ts';

export type { DispatchInput, DispatchReport, DispatchStop } from './dispatch-setup.ts';
export { dispatchSetup } from './dispatch-setup.ts';

/** A failed attempt: give up past the bound, else back off and try again. */
const retryOr = [
  { guard: 'lastAttempt', target: '#dispatch.done', actions: 'giveUp' },
  { target: 'backoff', actions: 'countFailure' },
] as const;
const backoff = { tags: ['retrying'], after: { retryBackoffMs: 'trying' } } as const;

/** The oldest dead claim, as the drop and restore ports take it. */
const deadClaimInput = ({ context }: { context: DispatchContext }) => {
  const dead = need(context.dead[0] ?? null, 'dead claim');
  return { name: dead.name, runId: dead.runId };
};

/** Settle the oldest dead claim with `src` (drop: its run has a record; restore: nothing names it). */
const settleDeadClaim = (src: 'dropEntry' | 'restoreEntry') =>
  ({
    initial: 'trying',
    states: {
      trying: {
        invoke: {
          src,
          input: deadClaimInput,
          onDone: [{ guard: 'resultOk', target: '#dispatch.checking', actions: 'accountedDead' }, ...retryOr],
          onError: [...retryOr],
        },
      },
      backoff,
    },
  }) as const;

export const dispatchMachine = dispatchSetup.createMachine({
  id: 'dispatch',
  context: ({ input }) => initialDispatchContext(input),
  initial: 'reading',
  output: ({ context }) => context.report,
  states: {
    reading: {
      initial: 'trying',
      states: {
        trying: {
          invoke: {
            src: 'readQueue',
            onDone: [
              { guard: 'resultOk', target: '#dispatch.checking', actions: 'adoptSnapshot' },
              ...retryOr,
            ],
            onError: [...retryOr],
          },
        },
        backoff,
      },
    },
    checking: {
      always: [
        { guard: 'rebootedUnheld', target: 'holding' },
        { guard: 'hasDeadClaim', target: 'accounting' },
        { guard: 'restoredThisRound', target: 'rereading' },
        { target: 'scheduling' },
      ],
    },
    rereading: {
      always: [
        { guard: 'roundsLeft', target: 'reading' },
        { target: 'done', actions: { type: 'stopAs', params: { stopped: 'rounds' } } },
      ],
    },
    // The boot id changed since the last dispatch: hold before anything can start.
    holding: {
      initial: 'trying',
      states: {
        trying: {
          invoke: {
            src: 'holdQueue',
            input: ({ context }) => ({
              reason: 'reboot' as const,
              at: need(context.snapshot, 'snapshot').now,
            }),
            onDone: [{ guard: 'resultOk', target: '#dispatch.checking', actions: 'adoptHold' }, ...retryOr],
            onError: [...retryOr],
          },
        },
        backoff,
      },
    },
    // A dead claimer's entry: its run has a record (drop the claim) or nothing (restore the entry).
    accounting: {
      initial: 'choosing',
      states: {
        choosing: {
          always: [{ guard: 'deadRunEnded', target: 'dropping' }, { target: 'restoring' }],
        },
        dropping: settleDeadClaim('dropEntry'),
        restoring: settleDeadClaim('restoreEntry'),
      },
    },
    scheduling: {
      entry: 'plan',
      always: [{ guard: 'nothingPending', target: 'done', actions: 'stopSettled' }, { target: 'claiming' }],
    },
    claiming: {
      initial: 'trying',
      states: {
        trying: {
          invoke: {
            src: 'claimEntry',
            input: ({ context }) => {
              const d = currentDecision(context);
              return { runId: d.runId, forStart: d.kind === 'start' };
            },
            onDone: [
              // Someone else took it, or the queue was held when the claim landed: look again.
              {
                guard: { type: 'answerIs', params: { answer: 'gone' } },
                target: '#dispatch.rereading',
                actions: 'noteContended',
              },
              {
                guard: { type: 'answerIs', params: { answer: 'held' } },
                target: '#dispatch.rereading',
                actions: 'noteContended',
              },
              { guard: 'decisionIsStart', target: '#dispatch.starting', actions: 'adoptClaim' },
              { guard: 'resultOk', target: '#dispatch.ending', actions: 'adoptClaim' },
              ...retryOr,
            ],
            onError: [...retryOr],
          },
        },
        backoff,
      },
    },
    starting: {
      invoke: {
        src: 'startRun',
        input: ({ context }) => {
          const d = currentDecision(context);
          return { claim: need(context.claim, 'claim'), slots: d.kind === 'start' ? d.slots : [] };
        },
        onDone: [
          { guard: { type: 'answerIs', params: { answer: 'conflict' } }, target: 'restoringClaim' },
          { guard: 'resultOk', target: 'droppingClaim', actions: 'noteStarted' },
          { target: 'done', actions: 'stopOnError' },
        ],
        onError: { target: 'done', actions: 'stopOnError' },
      },
    },
    // The run has its lock (or its record) now: its entry is done with.
    droppingClaim: {
      initial: 'trying',
      states: {
        trying: {
          invoke: {
            src: 'dropEntry',
            input: ({ context }) => {
              const claim = need(context.claim, 'claim');
              return { name: claim.name, runId: claim.runId };
            },
            onDone: [
              { guard: 'resultOk', target: '#dispatch.advancing', actions: 'nextDecision' },
              ...retryOr,
            ],
            onError: [...retryOr],
          },
        },
        backoff,
      },
    },
    // A slot was taken meanwhile and nothing started: the entry goes back, then look again.
    restoringClaim: {
      initial: 'trying',
      states: {
        trying: {
          invoke: {
            src: 'restoreEntry',
            input: ({ context }) => {
              const claim = need(context.claim, 'claim');
              return { name: claim.name, runId: claim.runId };
            },
            onDone: [
              {
                guard: 'resultOk',
                target: '#dispatch.rereading',
                actions: ['noteContended', 'nextDecision'],
              },
              ...retryOr,
            ],
            onError: [...retryOr],
          },
        },
        backoff,
      },
    },
    // An --after-ok dependency did not finish: the run's one record, without a process.
    ending: {
      initial: 'trying',
      states: {
        trying: {
          invoke: {
            src: 'endEntry',
            input: ({ context }) => ({
              claim: need(context.claim, 'claim'),
              entry: dependencyFailedEntry(context),
            }),
            onDone: [
              { guard: 'resultOk', target: '#dispatch.advancing', actions: ['noteEnded', 'nextDecision'] },
              ...retryOr,
            ],
            onError: [...retryOr],
          },
        },
        backoff,
      },
    },
    advancing: {
      always: [{ guard: 'nothingPending', target: 'rereading' }, { target: 'claiming' }],
    },
    done: { type: 'final' },
  },
});
