// Starting a run: take the lock, spawn the job under its monitor; bounded by startTimeoutMs.
import { and, assign } from 'xstate';
import { newAbort } from '../../machine/context.ts';
import { need } from '../../machine/event-results.ts';
import { lifecycleSetup } from '../../machine/lifecycle-setup.ts';

export const starting = lifecycleSetup.createStateConfig({
  tags: ['busy'],
  initial: 'locking',
  after: {
    startTimeoutMs: [
      {
        guard: 'holdsLock',
        target: 'claiming',
        actions: assign(({ context }) => {
          const error = { code: 'RW_START_TIMEOUT', message: 'the job was not confirmed running in time' };
          return {
            outcome: 'failed' as const,
            reason: 'start-timeout' as const,
            source: { kind: 'active' as const },
            detectedAt: context.startRequestedAt ?? 0,
            error,
            endError: error,
          };
        }),
      },
      {
        target: 'idle',
        actions: assign({
          error: { code: 'RW_START_TIMEOUT', message: 'the workspace lock could not be taken in time' },
        }),
      },
    ],
  },
  on: {
    'run.abort': {
      actions: assign(({ context, event }) => ({
        abort: newAbort(event.at, event.graceMs ?? context.run?.graceMs ?? 0, false),
      })),
    },
    'run.force': { actions: assign(({ event }) => ({ abort: newAbort(event.at, 0, true) })) },
  },
  states: {
    locking: {
      invoke: {
        id: 'acquireLock',
        src: 'acquireLock',
        input: ({ context }) => ({
          config: need(context.run, 'run'),
          at: need(context.startRequestedAt, 'startRequestedAt'),
        }),
        onDone: [
          {
            guard: 'resultOk',
            target: 'spawning',
            actions: assign(({ event }) => ({
              lock: event.output.ok ? event.output.value : null,
              source: { kind: 'active' as const },
            })),
          },
          { target: '#runwarden.idle', actions: ['noteStartError', 'announceStartRefused'] },
        ],
        onError: { target: '#runwarden.idle', actions: ['noteStartError', 'announceStartRefused'] },
      },
    },
    spawning: {
      invoke: {
        id: 'spawnJob',
        src: 'spawnJob',
        input: ({ context }) => ({ lock: need(context.lock, 'lock') }),
        onDone: [
          {
            guard: and(['resultOk', 'abortForced']),
            target: '#runwarden.live.aborting.forced',
            actions: 'adoptSpawn',
          },
          {
            guard: and(['resultOk', 'abortPending']),
            target: '#runwarden.live.aborting',
            actions: 'adoptSpawn',
          },
          { guard: 'resultOk', target: '#runwarden.live', actions: 'adoptSpawn' },
          { target: '#runwarden.claiming', actions: 'spawnFailed' },
        ],
        onError: { target: '#runwarden.claiming', actions: 'spawnFailed' },
      },
    },
  },
});
