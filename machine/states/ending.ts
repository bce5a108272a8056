// The end of every run: claim the lock, write its one history record, apply retention, release the lock last.
import { assign } from 'xstate';
import { finalizeNote, withNote } from '../../machine/context.ts';
import { errorOf, need } from '../../machine/event-results.ts';
import { endEntry, lifecycleSetup } from '../../machine/lifecycle-setup.ts';

export const claiming = lifecycleSetup.createStateConfig({
  tags: ['busy'],
  invoke: {
    id: 'claimLock',
    src: 'claimLock',
    input: ({ context }) => ({
      source: need(context.source, 'source'),
      record: need(context.lock, 'lock'),
    }),
    onDone: [
      {
        guard: 'resultOk',
        target: 'finalizing',
        // Only the winner of the claim reports what recovery found.
        actions: assign(({ context, event }) => {
          const note = context.decision === null ? null : finalizeNote(context.decision);
          return {
            claim: event.output.ok ? event.output.value : null,
            recovered: note === null ? context.recovered : withNote(context.recovered, note),
          };
        }),
      },
      // Someone else claimed it first and finalises it: look again.
      { target: 'recovering' },
    ],
    onError: {
      target: 'halted',
      actions: assign(({ event }) => ({ error: errorOf(event, 'RW_CLAIM_FAILED') })),
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
          { target: 'retrying', actions: 'noteFinalizeError' },
        ],
        onError: { target: 'retrying', actions: 'noteFinalizeError' },
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
          { target: 'retrying', actions: 'noteFinalizeError' },
        ],
        onError: { target: 'retrying', actions: 'noteFinalizeError' },
      },
    },
    retrying: {
      tags: ['stuck'],
      after: { finalizeRetryMs: 'recording' },
    },
  },
});
