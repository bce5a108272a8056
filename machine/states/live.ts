// A live run: running (healthy or stalled) or aborting (graceful, forced, unkillable), its job watched.
import { and, assign } from 'xstate';
import { newAbort, resumedAbort } from '../../machine/context.ts';
import { need } from '../../machine/event-results.ts';
import { lifecycleSetup } from '../../machine/lifecycle-setup.ts';
import { outcomeOfExit, outcomeOfLoss, reasonOfExit } from '../../machine/outcome.ts';

export const live = lifecycleSetup.createStateConfig({
  tags: ['settled', 'live'],
  entry: 'resetAttempts',
  invoke: {
    id: 'watchJob',
    src: 'watchJob',
    input: ({ context }) => ({ lock: need(context.lock, 'lock') }),
  },
  on: {
    'process.exited': {
      target: 'claiming',
      // The abort may have been asked by another process: the record on disk says so.
      actions: assign(({ context, event }) => {
        const endedAt = event.exit.endedAt;
        const abort = context.abort ?? (event.abort === null ? null : resumedAbort(event.abort, endedAt));
        const checkpoint = event.checkpoint ?? null;
        const outcome = outcomeOfExit(event.exit, abort, checkpoint);
        // A rule's reason (stalled) survives whoever finished the abort: it is in the record.
        const ruleReason = outcome === 'aborted' ? (abort?.reason ?? event.abort?.reason ?? null) : null;
        return {
          exit: event.exit,
          abort,
          outcome,
          checkpoint,
          reason: reasonOfExit(event.exit) ?? ruleReason ?? context.reason,
          detectedAt: endedAt,
        };
      }),
    },
    'process.lost': {
      target: 'claiming',
      // Its monitor died with it: an abort asked for still makes the run aborted.
      actions: assign(({ context, event }) => ({
        outcome: outcomeOfLoss(context.abort),
        reason: context.abort?.reason ?? event.reason,
        detectedAt: event.at,
      })),
    },
    'job.activity': { actions: 'noteActivity' },
  },
  // Issue 14: the time limit, counted from the job's start: a checkpoint-and-exit request
  // `checkpointBeforeMs` before it, else (no --checkpoint-before) the abort at the limit.
  after: {
    timeLimitMs: [
      {
        guard: and(['timeLimited', 'checkpointsBeforeLimit']),
        target: '.suspending',
        actions: assign(({ context }) => {
          const run = need(context.run, 'run');
          const at = (context.startedAt ?? 0) + (run.timeLimitMs ?? 0) - (run.checkpointBeforeMs ?? 0);
          const suspend = {
            requestedAt: Math.max(at, context.watchingSince ?? at),
            graceMs: run.checkpointBeforeMs ?? 0,
            reason: 'time-limit' as const,
          };
          return { suspend };
        }),
      },
      {
        guard: 'timeLimited',
        target: '.aborting',
        actions: assign(({ context }) => {
          const run = need(context.run, 'run');
          const at = Math.max((context.startedAt ?? 0) + (run.timeLimitMs ?? 0), context.watchingSince ?? 0);
          return { abort: newAbort(at, run.graceMs, false, 'time-limit'), reason: 'time-limit' as const };
        }),
      },
    ],
  },
  initial: 'running',
  states: {
    running: {
      initial: 'healthy',
      on: {
        'run.abort': {
          target: 'aborting',
          actions: assign(({ context, event }) => ({
            abort: newAbort(event.at, event.graceMs ?? need(context.run, 'run').graceMs, false),
          })),
        },
        'run.force': {
          target: 'aborting.forced',
          actions: assign(({ event }) => ({ abort: newAbort(event.at, 0, true) })),
        },
        // Issue 14: pause (SIGSTOP); another process's pause is seen through its record.
        'run.pause': { target: 'paused', actions: assign(({ event }) => ({ pausedAt: event.at })) },
        'job.paused': {
          target: 'paused.held',
          actions: assign(({ event }) => ({ pausedAt: event.at })),
        },
        // Issue 14: another process asked for checkpoint-and-exit: show it, keep its deadline.
        'checkpoint.recorded': {
          guard: 'exitRequestPending',
          target: 'suspending.observed',
          actions: assign(({ event }) => {
            const request = event.request;
            const deadlineAt = request.deadlineAt ?? event.at;
            const suspend = {
              requestedAt: event.at,
              graceMs: Math.max(0, deadlineAt - event.at),
              reason: request.reason,
            };
            return { suspend };
          }),
        },
        // Issue 14: checkpoint-and-exit (abort --checkpoint): ask, then wait the grace for the exit.
        'run.checkpoint': {
          target: 'suspending',
          actions: assign(({ event }) => ({
            suspend: { requestedAt: event.at, graceMs: event.graceMs, reason: event.reason ?? 'user' },
          })),
        },
        // Another process recorded an abort: every observer carries it out and shows it.
        'abort.recorded': [
          { guard: 'recordForced', target: 'aborting.forced', actions: 'adoptRecordedAbort' },
          { target: 'aborting', actions: 'adoptRecordedAbort' },
        ],
        'job.activity': {
          target: '.healthy',
          reenter: true,
          actions: 'noteActivity',
        },
      },
      states: {
        healthy: {
          after: { stallAfterMs: { guard: 'stallWatched', target: 'stalled' } },
        },
        stalled: {
          tags: ['stalled'],
          always: {
            guard: 'abortOnStall',
            target: '#runwarden.live.aborting',
            actions: assign(({ context }) => {
              const run = need(context.run, 'run');
              // The stall is seen when the silence outlasts the window, or on re-attaching.
              const silenceEnds =
                (context.lastActivityAt ?? context.startedAt ?? 0) + (run.stallAfterMs ?? 0);
              const at = Math.max(silenceEnds, context.watchingSince ?? 0);
              return { abort: newAbort(at, run.graceMs, false, 'stalled'), reason: 'stalled' as const };
            }),
          },
        },
      },
    },
    // Issue 14: the job's group is stopped (SIGSTOP): the stall timer does not run, GPU memory
    // stays held. An abort still ends it (the interrupt is sent with SIGCONT).
    paused: {
      tags: ['paused'],
      initial: 'stopping',
      states: {
        stopping: {
          invoke: {
            id: 'pauseJob',
            src: 'pauseJob',
            input: ({ context }) => ({ lock: need(context.lock, 'lock'), at: context.pausedAt ?? 0 }),
            onDone: [
              { guard: 'resultOk', target: 'held' },
              { target: '#runwarden.live.running', actions: ['noteSignalError', 'resumeStallWindow'] },
            ],
            onError: { target: '#runwarden.live.running', actions: ['noteSignalError', 'resumeStallWindow'] },
          },
        },
        held: {},
        continuing: {
          invoke: {
            id: 'continueJob',
            src: 'continueJob',
            input: ({ context }) => ({ lock: need(context.lock, 'lock'), at: context.pausedAt ?? 0 }),
            onDone: [
              { guard: 'resultOk', target: '#runwarden.live.running', actions: 'resumeStallWindow' },
              { target: 'held', actions: 'noteSignalError' },
            ],
            onError: { target: 'held', actions: 'noteSignalError' },
          },
        },
      },
      on: {
        'run.continue': '.continuing',
        'job.continued': { target: 'running', actions: 'resumeStallWindow' },
        'run.abort': {
          target: 'aborting',
          actions: assign(({ context, event }) => ({
            pausedAt: null,
            abort: newAbort(event.at, event.graceMs ?? need(context.run, 'run').graceMs, false),
          })),
        },
        'run.force': {
          target: 'aborting.forced',
          actions: assign(({ event }) => ({ pausedAt: null, abort: newAbort(event.at, 0, true) })),
        },
        'abort.recorded': [
          { guard: 'recordForced', target: 'aborting.forced', actions: 'adoptRecordedAbort' },
          { target: 'aborting', actions: 'adoptRecordedAbort' },
        ],
      },
    },
    // Issue 14: a checkpoint-and-exit request is out. The job saves, acks and exits (suspended);
    // only the grace running out (or a user's abort) turns it into an abort: never sooner.
    suspending: {
      tags: ['suspending'],
      initial: 'asking',
      states: {
        // This actor asks (the control file, the monitor's deadline, the signal).
        asking: {
          invoke: {
            id: 'requestCheckpoint',
            src: 'requestCheckpoint',
            input: ({ context }) => ({
              lock: need(context.lock, 'lock'),
              suspend: need(context.suspend, 'suspend'),
            }),
            // A request that could not be delivered is noted; the deadline still holds.
            onDone: [
              { guard: 'resultOk', target: 'asked' },
              { target: 'asked', actions: 'noteSignalError' },
            ],
            onError: { target: 'asked', actions: 'noteSignalError' },
          },
        },
        asked: {},
        // Another process asked: nothing to send, the same deadline to keep.
        observed: {},
      },
      after: {
        checkpointGraceMs: {
          target: 'aborting',
          actions: assign(({ context }) => {
            const run = need(context.run, 'run');
            const suspend = need(context.suspend, 'suspend');
            const at = suspend.requestedAt + suspend.graceMs;
            const reason = suspend.reason === 'time-limit' ? ('time-limit' as const) : null;
            return { abort: newAbort(at, run.graceMs, false, reason), reason: reason ?? context.reason };
          }),
        },
      },
      on: {
        'run.abort': {
          target: 'aborting',
          actions: assign(({ context, event }) => ({
            abort: newAbort(event.at, event.graceMs ?? need(context.run, 'run').graceMs, false),
          })),
        },
        'run.force': {
          target: 'aborting.forced',
          actions: assign(({ event }) => ({ abort: newAbort(event.at, 0, true) })),
        },
        'abort.recorded': [
          { guard: 'recordForced', target: 'aborting.forced', actions: 'adoptRecordedAbort' },
          { target: 'aborting', actions: 'adoptRecordedAbort' },
        ],
      },
    },
    aborting: {
      tags: ['aborting'],
      initial: 'graceful',
      states: {
        graceful: {
          invoke: {
            id: 'interruptJob',
            src: 'interruptJob',
            input: ({ context }) => ({
              lock: need(context.lock, 'lock'),
              abort: need(context.abort, 'abort'),
            }),
            // A failed interrupt (e.g. the abort could not be recorded on a full disk) is
            // noted, not escalated: the job still gets its grace, then SIGKILL.
            onDone: [{ guard: 'resultOk' }, { actions: 'noteSignalError' }],
            onError: { actions: 'noteSignalError' },
          },
          after: { abortGraceMs: 'forced' },
          on: {
            'run.force': 'forced',
            'abort.recorded': { guard: 'recordForced', target: 'forced' },
          },
        },
        forced: {
          entry: assign(({ context }) => ({
            abort: { ...need(context.abort, 'abort'), forced: true },
          })),
          invoke: {
            id: 'killJob',
            src: 'killJob',
            input: ({ context }) => ({
              lock: need(context.lock, 'lock'),
              abort: need(context.abort, 'abort'),
            }),
            onDone: [{ guard: 'resultOk' }, { actions: 'noteSignalError' }],
            onError: { actions: 'noteSignalError' },
          },
          after: { killTimeoutMs: 'unkillable' },
        },
        unkillable: {
          tags: ['stuck'],
          entry: assign({
            error: {
              code: 'RW_UNKILLABLE',
              message: 'the job survived SIGKILL (uninterruptible sleep?); its lock is kept until it ends',
            },
          }),
          on: { 'run.force': 'forced' },
        },
      },
    },
  },
});
