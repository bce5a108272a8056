// The lifecycle of one workspace's run as a single XState v5 machine. Pure: effects are the
// named actors of ./ports.ts, supplied with `provide()`; time arrives on events and outputs.
import { assign } from 'xstate';
import { initialContext } from './context.ts';
import { lifecycleSetup } from './lifecycle-setup.ts';
import { claiming, finalizing, requeuing } from './states/ending.ts';
import { live } from './states/live.ts';
import { recovering } from './states/recovering.ts';
import { starting } from './states/starting.ts';

export { lifecycleSetup } from './lifecycle-setup.ts';

/** The statechart: every state, transition and effect of a run's life (see docs/architecture.md). */
export const lifecycleMachine = lifecycleSetup.createMachine({
  id: 'runwarden',
  context: ({ input }) => initialContext(input),
  initial: 'recovering',
  on: { 'run.start': { actions: 'rejectStart' } },
  states: {
    recovering,
    idle: {
      tags: ['settled'],
      entry: ['clearRun', 'resetAttempts'],
      // Another process may start a run meanwhile: look again when a lock appears.
      invoke: { id: 'watchWorkspace', src: 'watchWorkspace' },
      on: {
        'lock.appeared': 'recovering',
        'run.start': {
          target: 'starting',
          actions: assign(({ event }) => ({
            run: event.config,
            startRequestedAt: event.at,
            error: null,
            lastEnded: null,
          })),
        },
        'run.abort': { actions: 'rejectNoRun' },
        'run.force': { actions: 'rejectNoRun' },
      },
    },

    starting,
    live,
    claiming,
    finalizing,
    requeuing,
    halted: {
      tags: ['settled', 'halted'],
      on: { 'run.recover': { target: 'recovering', actions: 'resetAttempts' } },
    },
  },
});
