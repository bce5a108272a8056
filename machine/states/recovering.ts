// Boot-time recovery: inspect the disk, decide, quarantine or wait, then rest or finalise.
import { assign } from 'xstate';
import { resumedAbort, withNote } from '../../machine/context.ts';
import { errorOf, need } from '../../machine/event-results.ts';
import { lifecycleSetup } from '../../machine/lifecycle-setup.ts';
import { decideRecovery } from '../../machine/recovery.ts';

export const recovering = lifecycleSetup.createStateConfig({
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
        // Issue 14: a paused run is re-attached paused (a pause is not silence).
        {
          guard: 'reattachPaused',
          target: '#runwarden.live.paused.held',
          actions: 'adoptRun',
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
        // A queued run whose start never let its job go: claim its lock, then discard and release.
        {
          guard: { type: 'decisionIs', params: { kind: 'requeue' } },
          target: '#runwarden.claiming',
          actions: 'adoptRun',
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
                abort: d.abort === null ? null : resumedAbort(d.abort, d.detectedAt),
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
          if (d.kind !== 'quarantine')
            throw new Error('runwarden machine invariant: quarantining without a decision');
          return { detail: d.detail, path: d.path, source: d.source };
        },
        onDone: [
          {
            guard: 'resultOk',
            target: 'inspecting',
            actions: assign(({ context, event }) => {
              const d = need(context.decision, 'decision');
              const why = d.kind === 'quarantine' ? `${d.detail} in ${d.path}` : '';
              const movedTo = event.output.ok ? event.output.value.movedTo : '?';
              const note = {
                kind: 'quarantined' as const,
                runId: null,
                reason: `${why}; no run recorded in a run directory was left to account for; moved to ${movedTo}`,
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
});
