// The lifecycle of one workspace's run as a single XState v5 machine. Pure: effects are the
// named actors of ./ports.ts, supplied with `provide()`; time arrives on events and outputs.
import { and, assign, emit, setup } from 'xstate';
import {
  clearedRun,
  finalizeNote,
  initialContext,
  type LifecycleContext,
  type LifecycleEmitted,
  type LifecycleEvent,
  type LifecycleInput,
  newAbort,
  resumedAbort,
  withNote,
} from './context.ts';
import { historyEntryOf, outcomeOfExit, reasonOfExit } from './outcome.ts';
import { type SpawnOutput, unprovidedPorts } from './ports.ts';
import type { RecoveryKind } from './recovery.ts';
import { decideRecovery } from './recovery.ts';
import type { ErrorInfo } from './types.ts';

/** True when a done event carries a successful `Result`. */
function outputOk(event: { type: string }): boolean {
  if (!('output' in event)) return false;
  const out = event.output;
  return typeof out === 'object' && out !== null && 'ok' in out && out.ok === true;
}

/** The error inside a failed `Result` or a rejected promise, as data. */
function errorOf(event: { type: string }, code: string): ErrorInfo {
  if ('output' in event) {
    const out = event.output;
    if (typeof out === 'object' && out !== null && 'error' in out) return out.error as ErrorInfo;
  }
  const cause = 'error' in event ? event.error : undefined;
  return { code, message: cause instanceof Error ? cause.message : String(cause) };
}

/** The value inside a successful `Result` of a done event (the guard `resultOk` ran first). */
function okValue<T>(event: { type: string }): T {
  if (!outputOk(event) || !('output' in event)) throw new Error('runwarden machine: expected an ok result');
  return (event.output as { value: T }).value;
}

function need<T>(value: T | null, what: string): T {
  if (value === null) throw new Error(`runwarden machine invariant: ${what} is null here`);
  return value;
}

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
    resumeForced: ({ context }) => context.decision?.kind === 'resume-abort' && context.decision.abort.forced,
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
  },
  delays: {
    startTimeoutMs: 30_000,
    killTimeoutMs: 10_000,
    starterRecheckMs: 250,
    finalizeRetryMs: 1_000,
    abortGraceMs: ({ context }) => context.abort?.graceLeftMs ?? 0,
    stallAfterMs: ({ context }) => context.stallLeftMs ?? context.run?.stallAfterMs ?? 0,
  },
  actions: {
    clearRun: assign(() => clearedRun()),
    adoptRun: assign(({ context }) => {
      const d = need(context.decision, 'decision');
      if (!('record' in d)) return {};
      const record = d.record;
      const source = 'source' in d ? d.source : null;
      const stallAfterMs = record.config.stallAfterMs;
      const silentMs = d.kind === 'reattach' ? d.silentMs : 0;
      const now = d.kind === 'reattach' ? d.now : null;
      return {
        run: record.config,
        lock: record,
        source,
        handle: record.job,
        startedAt: record.startedAt,
        lastActivityAt: now === null ? null : now - silentMs,
        watchingSince: now,
        stallLeftMs: stallAfterMs === null ? null : Math.max(0, stallAfterMs - silentMs),
      };
    }),
    adoptAbort: assign(({ context }) => {
      const d = need(context.decision, 'decision');
      if (d.kind !== 'resume-abort') return {};
      const note = {
        kind: 'abort-resumed' as const,
        runId: d.record.runId,
        reason: `${d.graceLeftMs} ms of grace left`,
      };
      return {
        abort: resumedAbort(d.abort, d.graceLeftMs),
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
    spawnFailed: assign(({ context, event }) => ({
      outcome: 'failed' as const,
      reason: 'spawn-failed' as const,
      detectedAt: context.startRequestedAt,
      error: errorOf(event, 'RW_SPAWN_FAILED'),
    })),
    noteStartError: assign(({ event }) => ({ error: errorOf(event, 'RW_LOCK_FAILED') })),
    announceStartRefused: emit(({ event }) => ({
      type: 'command.rejected' as const,
      command: 'run.start' as const,
      error: errorOf(event, 'RW_LOCK_FAILED'),
    })),
    noteActivity: assign(({ context, event }) => ({
      lastActivityAt: event.type === 'job.activity' ? event.at : context.lastActivityAt,
      stallLeftMs: context.run?.stallAfterMs ?? null,
    })),
    noteSignalError: assign(({ event }) => ({ error: errorOf(event, 'RW_SIGNAL_FAILED') })),
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

export const lifecycleMachine = lifecycleSetup.createMachine({
  id: 'runwarden',
  context: ({ input }) => initialContext(input),
  initial: 'recovering',
  on: { 'run.start': { actions: 'rejectStart' } },
  states: {
    recovering: {
      tags: ['busy'],
      // A fresh look at the disk: nothing from an earlier run carries over.
      entry: 'clearRun',
      initial: 'inspecting',
      states: {
        inspecting: {
          invoke: {
            id: 'inspectDisk',
            src: 'inspectDisk',
            onDone: {
              target: 'deciding',
              actions: assign(({ context, event }) => ({
                decision: decideRecovery(event.output, context.startStuckMs),
              })),
            },
            onError: {
              target: '#runwarden.halted',
              actions: assign(({ event }) => ({ error: errorOf(event, 'RW_RECOVERY_FAILED') })),
            },
          },
        },
        deciding: {
          always: [
            { guard: { type: 'decisionIs', params: { kind: 'idle' } }, target: '#runwarden.idle' },
            { guard: { type: 'decisionIs', params: { kind: 'quarantine' } }, target: 'quarantining' },
            { guard: { type: 'decisionIs', params: { kind: 'wait' } }, target: 'waiting' },
            {
              guard: { type: 'decisionIs', params: { kind: 'halt' } },
              target: '#runwarden.halted',
              actions: assign(({ context }) => {
                const d = need(context.decision, 'decision');
                return { error: d.kind === 'halt' ? d.error : null };
              }),
            },
            {
              guard: 'silentTooLong',
              target: '#runwarden.live.running.stalled',
              actions: 'adoptRun',
            },
            {
              guard: { type: 'decisionIs', params: { kind: 'reattach' } },
              target: '#runwarden.live',
              actions: 'adoptRun',
            },
            {
              guard: 'resumeForced',
              target: '#runwarden.live.aborting.forced',
              actions: ['adoptRun', 'adoptAbort'],
            },
            {
              guard: { type: 'decisionIs', params: { kind: 'resume-abort' } },
              target: '#runwarden.live.aborting',
              actions: ['adoptRun', 'adoptAbort'],
            },
            {
              guard: { type: 'decisionIs', params: { kind: 'finalize' } },
              target: '#runwarden.claiming',
              actions: [
                'adoptRun',
                assign(({ context }) => {
                  const d = need(context.decision, 'decision');
                  if (d.kind !== 'finalize') return {};
                  return {
                    outcome: d.outcome,
                    exit: d.exit,
                    reason: d.reason,
                    detectedAt: d.detectedAt,
                    abort: d.abort === null ? null : resumedAbort(d.abort, 0),
                  };
                }),
              ],
            },
          ],
        },
        quarantining: {
          invoke: {
            id: 'quarantineLock',
            src: 'quarantineLock',
            input: ({ context }) => {
              const d = need(context.decision, 'decision');
              return { detail: d.kind === 'quarantine' ? d.detail : 'unreadable' };
            },
            onDone: [
              {
                guard: 'resultOk',
                target: 'inspecting',
                actions: assign(({ context, event }) => {
                  const d = need(context.decision, 'decision');
                  const detail = d.kind === 'quarantine' ? d.detail : '';
                  const movedTo = event.output.ok ? event.output.value.movedTo : '?';
                  const note = {
                    kind: 'quarantined' as const,
                    runId: null,
                    reason: `${detail}; moved to ${movedTo}`,
                  };
                  return { recovered: withNote(context.recovered, note) };
                }),
              },
              {
                target: '#runwarden.halted',
                actions: assign(({ event }) => ({ error: errorOf(event, 'RW_QUARANTINE_FAILED') })),
              },
            ],
            onError: {
              target: '#runwarden.halted',
              actions: assign(({ event }) => ({ error: errorOf(event, 'RW_QUARANTINE_FAILED') })),
            },
          },
        },
        waiting: {
          after: { starterRecheckMs: 'inspecting' },
        },
      },
    },

    idle: {
      tags: ['settled'],
      entry: 'clearRun',
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

    starting: {
      tags: ['busy'],
      initial: 'locking',
      after: {
        startTimeoutMs: [
          {
            guard: 'holdsLock',
            target: 'claiming',
            actions: assign(({ context }) => ({
              outcome: 'failed' as const,
              reason: 'start-timeout' as const,
              source: { kind: 'active' as const },
              detectedAt: context.startRequestedAt ?? 0,
              error: { code: 'RW_START_TIMEOUT', message: 'the job was not confirmed running in time' },
            })),
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
    },

    live: {
      tags: ['settled', 'live'],
      invoke: {
        id: 'watchJob',
        src: 'watchJob',
        input: ({ context }) => ({ lock: need(context.lock, 'lock') }),
      },
      on: {
        'process.exited': {
          target: 'claiming',
          actions: assign(({ context, event }) => ({
            exit: event.exit,
            outcome: outcomeOfExit(event.exit, context.abort),
            reason: reasonOfExit(event.exit) ?? context.reason,
            detectedAt: event.exit.endedAt,
          })),
        },
        'process.lost': {
          target: 'claiming',
          actions: assign(({ event }) => ({
            outcome: 'orphaned' as const,
            reason: event.reason,
            detectedAt: event.at,
          })),
        },
        'job.activity': { actions: 'noteActivity' },
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
                  return { abort: newAbort(at, run.graceMs, false), reason: 'stalled' as const };
                }),
              },
            },
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
              on: { 'run.force': 'forced' },
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
                  message:
                    'the job survived SIGKILL (uninterruptible sleep?); its lock is kept until it ends',
                },
              }),
              on: { 'run.force': 'forced' },
            },
          },
        },
      },
    },

    claiming: {
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
    },

    finalizing: {
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
    },

    halted: {
      tags: ['settled', 'halted'],
      on: { 'run.recover': 'recovering' },
    },
  },
});

function endEntry(context: LifecycleContext) {
  return historyEntryOf({
    config: need(context.run, 'run'),
    outcome: need(context.outcome, 'outcome'),
    exit: context.exit,
    reason: context.reason,
    error: context.error,
    startedAt: context.startedAt,
    detectedAt: need(context.detectedAt, 'detectedAt'),
  });
}
