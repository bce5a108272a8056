// Issue 14: the pure restart decision. By default only infrastructure failures are retried
// (orphaned by a reboot, SIGKILL without an abort: the OOM killer); code errors only when
// --retry-on-exit names them; an aborted run never; retries are bounded and back off; a suspended
// run is resumed only with --auto-resume.
import { describe, expect, it } from 'vitest';
import { restartDecisionOf } from '../../machine/restart.ts';
import type { HistoryEntry, RestartPolicy } from '../../machine/types.ts';
import { modelConfig } from '../../model/harness.ts';

const policy: RestartPolicy = { max: 2, onExit: [], onOrphan: false, backoffMs: 1_000, autoResume: false };
const entry = (
  over: Partial<HistoryEntry>,
  p: Partial<RestartPolicy> = {},
  retriesSoFar = 0,
): HistoryEntry => {
  const config = modelConfig(['job']);
  return {
    runId: config.runId,
    name: 'm',
    outcome: 'failed',
    exitCode: 1,
    signal: null,
    startedAt: 0,
    endedAt: 10,
    reason: null,
    error: null,
    ...over,
    config: {
      ...config,
      retries: { ...policy, ...p },
      ...(retriesSoFar === 0
        ? {}
        : {
            lineage: {
              parentId: 'p',
              lineageId: 'l',
              restartCount: retriesSoFar,
              kind: 'retry' as const,
              retriesSoFar,
            },
          }),
    },
  };
};

describe('restartDecisionOf', () => {
  it('retries infrastructure failures by default, code errors only when named', () => {
    expect(restartDecisionOf(entry({ exitCode: 1 })).kind).toBe('none');
    expect(restartDecisionOf(entry({ exitCode: null, signal: 'SIGKILL' }))).toMatchObject({
      kind: 'retry',
      delayMs: 1_000,
    });
    expect(restartDecisionOf(entry({ outcome: 'orphaned', exitCode: null, reason: 'reboot' })).kind).toBe(
      'retry',
    );
    expect(
      restartDecisionOf(entry({ outcome: 'orphaned', exitCode: null, reason: 'process-gone' })).kind,
    ).toBe('none');
    expect(
      restartDecisionOf(
        entry({ outcome: 'orphaned', exitCode: null, reason: 'process-gone' }, { onOrphan: true }),
      ).kind,
    ).toBe('retry');
    expect(restartDecisionOf(entry({ exitCode: 75 }, { onExit: [75] })).kind).toBe('retry');
    expect(restartDecisionOf(entry({ exitCode: null, signal: 'SIGTERM' }, { onExit: [143] })).kind).toBe(
      'retry',
    );
    expect(restartDecisionOf(entry({ outcome: 'aborted', exitCode: null, signal: 'SIGKILL' })).kind).toBe(
      'none',
    );
    expect(restartDecisionOf(entry({ outcome: 'finished', exitCode: 0 })).kind).toBe('none');
  });

  it('is bounded by --retries and backs off exponentially', () => {
    const killed = { exitCode: null, signal: 'SIGKILL' } as const;
    expect(restartDecisionOf(entry(killed, {}, 1))).toMatchObject({ kind: 'retry', delayMs: 2_000 });
    expect(restartDecisionOf(entry(killed, {}, 2))).toMatchObject({
      kind: 'none',
      why: 'retries used up (2)',
    });
  });

  it('resumes a suspended run only with --auto-resume, at once', () => {
    expect(restartDecisionOf(entry({ outcome: 'suspended', exitCode: 0 })).kind).toBe('none');
    expect(
      restartDecisionOf(entry({ outcome: 'suspended', exitCode: 0 }, { autoResume: true })),
    ).toMatchObject({
      kind: 'resume',
      delayMs: 0,
    });
  });
});
