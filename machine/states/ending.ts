// The end of every run: claim the lock, write its one history record, apply retention, release the lock last.
import { and, assign } from 'xstate';
import { finalizeNote, withNote } from '../../machine/context.ts';
import { need } from '../../machine/event-results.ts';
import { endEntry, lifecycleSetup } from '../../machine/lifecycle-setup.ts';

/**
 * Claim the lock by an atomic rename. A lost race re-inspects the disk; a claim the filesystem
 * refuses (EACCES, EROFS) is stuck with that error and retried with back-off; both are bounded
 * by the retry policy, after which the machine halts with the error (the lock stays on disk).
 */
export const claiming = lifecycleSetup.createStateConfig({
  tags: ['busy'],
  initial: 'trying',
  states: {
    trying: {
      invoke: {
        id: 'claimLock',
        src: 'claimLock',
        input: ({ context }) => ({
          source: need(context.source, 'source'),
          record: need(context.lock, 'lock'),
        }),
        onDone: [
          {
            guard: and(['resultOk', { type: 'decisionIs', params: { kind: 'requeue' as const } }]),
            target: '#runwarden.requeuing',
            actions: [
              'resetAttempts',
              assign(({ context, event }) => {
                const runId = context.lock?.runId ?? null;
                const note = { kind: 'requeued' as const, runId, reason: 'its start never let the job go' };
                return {
                  claim: event.output.ok ? event.output.value : null,
                  recovered: withNote(context.recovered, note),
                };
              }),
            ],
          },
          {
            guard: 'resultOk',
            target: '#runwarden.finalizing',
            // Only the winner of the claim reports what recovery found.
            actions: [
              'resetAttempts',
              assign(({ context, event }) => {
                const note = context.decision === null ? null : finalizeNote(context.decision);
                return {
                  claim: event.output.ok ? event.output.value : null,
                  recovered: note === null ? context.recovered : withNote(context.recovered, note),
                };
              }),
            ],
          },
          { guard: 'lastAttempt', target: '#runwarden.halted', actions: 'giveUp' },
          // Someone else claimed it first and finalises it: look again, at once the first time.
          {
            guard: and(['claimLost', 'firstAttempt']),
            target: '#runwarden.recovering',
            actions: 'countFailure',
          },
          { guard: 'claimLost', target: 'lost', actions: 'countFailure' },
          { target: 'blocked', actions: ['countFailure', 'noteClaimError'] },
        ],
        onError: [
          { guard: 'lastAttempt', target: '#runwarden.halted', actions: 'giveUp' },
          { target: 'blocked', actions: ['countFailure', 'noteClaimError'] },
        ],
      },
    },
    lost: {
      after: { retryBackoffMs: '#runwarden.recovering' },
    },
    blocked: {
      tags: ['stuck'],
      after: { retryBackoffMs: '#runwarden.recovering' },
    },
  },
});

export const finalizing = lifecycleSetup.createStateConfig({
  tags: ['busy'],
  initial: 'recording',
  states: {
    recording: {
      invoke: {
        id: 'recordHistory',
        src: 'recordHistory',
        input: ({ context }) => ({ claim: need(context.claim, 'claim'), entry: endEntry(context) }),
        onDone: [
          { guard: 'resultOk', target: 'retaining' },
          { guard: 'lastAttempt', target: '#runwarden.halted', actions: 'giveUp' },
          { target: 'retrying', actions: ['noteFinalizeError', 'countFailure'] },
        ],
        onError: [
          { guard: 'lastAttempt', target: '#runwarden.halted', actions: 'giveUp' },
          { target: 'retrying', actions: ['noteFinalizeError', 'countFailure'] },
        ],
      },
    },
    retaining: {
      invoke: {
        id: 'applyRetention',
        src: 'applyRetention',
        input: ({ context }) => ({
          claim: need(context.claim, 'claim'),
          outcome: need(context.outcome, 'outcome'),
        }),
        // A directory that could not be deleted must not keep the lock: note it, go on.
        onDone: [
          { guard: 'resultOk', target: 'releasing' },
          { target: 'releasing', actions: 'noteFinalizeError' },
        ],
        onError: { target: 'releasing', actions: 'noteFinalizeError' },
      },
    },
    releasing: {
      invoke: {
        id: 'releaseLock',
        src: 'releaseLock',
        input: ({ context }) => ({ claim: need(context.claim, 'claim') }),
        onDone: [
          {
            guard: 'resultOk',
            target: '#runwarden.idle',
            actions: assign(({ context }) => ({ lastEnded: endEntry(context) })),
          },
          { guard: 'lastAttempt', target: '#runwarden.halted', actions: 'giveUp' },
          { target: 'retrying', actions: ['noteFinalizeError', 'countFailure'] },
        ],
        onError: [
          { guard: 'lastAttempt', target: '#runwarden.halted', actions: 'giveUp' },
          { target: 'retrying', actions: ['noteFinalizeError', 'countFailure'] },
        ],
      },
    },
    // Bounded: after context.retry.attemptsMax failures the machine halts with the error.
    retrying: {
      tags: ['stuck'],
      after: { retryBackoffMs: 'recording' },
    },
  },
});

/**
 * Issue 12 `requeue`: the claimed lock belongs to a queued run whose job never went. Discard its
 * run directory (no history record: it never ran), then release the lock; the dispatcher's
 * accounting puts the entry back once no lock names the run. Bounded like finalizing.
 */
export const requeuing = lifecycleSetup.createStateConfig({
  tags: ['busy'],
  initial: 'discarding',
  states: {
    discarding: {
      invoke: {
        id: 'discardRun',
        src: 'discardRun',
        input: ({ context }) => ({ claim: need(context.claim, 'claim') }),
        onDone: [
          { guard: 'resultOk', target: 'releasing' },
          { guard: 'lastAttempt', target: '#runwarden.halted', actions: 'giveUp' },
          { target: 'retrying', actions: ['noteFinalizeError', 'countFailure'] },
        ],
        onError: [
          { guard: 'lastAttempt', target: '#runwarden.halted', actions: 'giveUp' },
          { target: 'retrying', actions: ['noteFinalizeError', 'countFailure'] },
        ],
      },
    },
    releasing: {
      invoke: {
        id: 'releaseLock',
        src: 'releaseLock',
        input: ({ context }) => ({ claim: need(context.claim, 'claim') }),
        onDone: [
          { guard: 'resultOk', target: '#runwarden.idle' },
          { guard: 'lastAttempt', target: '#runwarden.halted', actions: 'giveUp' },
          { target: 'retrying', actions: ['noteFinalizeError', 'countFailure'] },
        ],
        onError: [
          { guard: 'lastAttempt', target: '#runwarden.halted', actions: 'giveUp' },
          { target: 'retrying', actions: ['noteFinalizeError', 'countFailure'] },
        ],
      },
    },
    retrying: {
      tags: ['stuck'],
      after: { retryBackoffMs: 'discarding' },
    },
  },
});
