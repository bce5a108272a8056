// Proves the progress reducer: phases, counters, rate, explicit-wins, bounded history and skips,
// and that the view depends only on each source's order — by folding literal and random events.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EventSource, JobEvent, MetricEvent, ProgressEvent } from '../../../runtime/progress/events.ts';
import {
  emptyProgressState,
  metricNamesMax,
  metricPointsMax,
  type ProgressState,
  ProgressTracker,
  recordSkips,
  reduce,
  warningsMax,
} from '../../../runtime/progress/run-view.ts';
import { fcParams } from '../../model/fc-config.ts';

const startMs = Date.parse('2025-01-01T00:00:00.000Z');

/** A progress event at `seconds` after the start. */
function progress(seconds: number, fields: Partial<ProgressEvent> = {}): ProgressEvent {
  const atMs = startMs + seconds * 1000;
  return { t: new Date(atMs).toISOString(), atMs, extra: {}, kind: 'progress', ...fields };
}

/** A metric event at `seconds` after the start. */
function metric(seconds: number, name: string, value: number, step?: number): MetricEvent {
  const atMs = startMs + seconds * 1000;
  return { t: new Date(atMs).toISOString(), atMs, extra: {}, kind: 'metric', name, value, step };
}

/** Folds events of one source into a state. */
function fold(events: readonly JobEvent[], source: EventSource, state = emptyProgressState()): ProgressState {
  const tracker = ProgressTracker.from(state);
  for (const event of events) tracker.apply(event, source);
  return tracker.view();
}

describe('reduce', () => {
  it('starts from a view that shows nothing', () => {
    expect(emptyProgressState()).toMatchObject({
      phase: null,
      phases: [],
      percent: null,
      progressSource: null,
      message: null,
      metrics: {},
      lastEventAt: null,
      counts: { events: 0, parsed: 0 },
      skipped: { total: 0, warnings: [] },
    });
  });

  it('lists phases in the order first reported and shows the current one apart', () => {
    const names = ['download', 'prepare', 'train', 'eval', 'train'];
    const state = fold(
      names.map((phase, i) => progress(i, { phase })),
      'explicit',
    );
    expect(state.phase).toBe('train');
    expect(state.phases).toEqual(['download', 'prepare', 'train', 'eval']);
    expect(state.phasesDone).toEqual(['download', 'prepare', 'eval']);
  });

  it('derives percent from step and total and keeps fields the next event leaves out', () => {
    const state = fold(
      [progress(0, { total: 200 }), progress(1, { step: 50 }), progress(2, { message: 'hi' })],
      'explicit',
    );
    expect(state).toMatchObject({
      percent: 25,
      step: 50,
      total: 200,
      message: 'hi',
      progressSource: 'explicit',
    });
  });

  it('clears the counters when the phase changes', () => {
    const state = fold(
      [progress(0, { phase: 'download', percent: 100 }), progress(1, { phase: 'train' })],
      'explicit',
    );
    expect(state).toMatchObject({ phase: 'train', percent: null, step: null, progressSource: null });
  });

  it('measures steps per second from the job times and estimates the time left', () => {
    const events = Array.from({ length: 20 }, (_, i) => progress(i, { step: 10 * i, total: 1000 }));
    const state = fold(events, 'explicit');
    expect(state.stepsPerS).toBeCloseTo(10, 6);
    expect(state.etaMs).toBe(((1000 - 190) / 10) * 1000);
    expect(state.lanes.explicit.samples.length).toBeLessThanOrEqual(12);
  });

  it('restarts the rate when the step goes backwards', () => {
    const state = fold(
      [progress(0, { step: 100 }), progress(1, { step: 200 }), progress(2, { step: 5 })],
      'explicit',
    );
    expect(state.stepsPerS).toBeNull();
  });

  it('shows the parsed bar until the job reports counters, then the explicit ones whatever comes after', () => {
    const bar = progress(0, {
      percent: 42,
      step: 420,
      total: 1000,
      stepsPerS: 41.2,
      etaMs: 14_000,
      message: 'Epoch 3',
    });
    const parsedOnly = reduce(emptyProgressState(), bar, 'parsed');
    expect(parsedOnly).toMatchObject({
      percent: 42,
      stepsPerS: 41.2,
      etaMs: 14_000,
      progressSource: 'parsed',
    });
    expect(parsedOnly.message).toBe('Epoch 3');
    const explicit = reduce(parsedOnly, progress(1, { step: 7, total: 10 }), 'explicit');
    const later = reduce(explicit, progress(2, { percent: 99, step: 990, total: 1000 }), 'parsed');
    expect(later).toMatchObject({ percent: 70, step: 7, total: 10, progressSource: 'explicit' });
  });

  it('falls back to the parsed bar after a phase change until the job reports counters again', () => {
    const state = fold(
      [progress(0, { phase: 'download', percent: 100 }), progress(1, { phase: 'train' })],
      'explicit',
    );
    const withBar = reduce(state, progress(2, { percent: 10, step: 1, total: 10 }), 'parsed');
    expect(withBar).toMatchObject({ phase: 'train', percent: 10, progressSource: 'parsed' });
    const reported = reduce(withBar, progress(3, { step: 5, total: 100 }), 'explicit');
    expect(reported).toMatchObject({ percent: 5, progressSource: 'explicit' });
  });

  it('lets an explicit message win over a parsed description', () => {
    const info: JobEvent = {
      t: progress(1).t,
      atMs: progress(1).atMs,
      extra: {},
      kind: 'info',
      message: 'loading',
    };
    const state = reduce(
      reduce(emptyProgressState(), info, 'explicit'),
      progress(2, { message: 'Epoch 1' }),
      'parsed',
    );
    expect(state.message).toBe('loading');
  });

  it('replaces a parsed metric history by the explicit one and ignores parsed values after it', () => {
    const parsed = fold([metric(0, 'loss', 3), metric(1, 'loss', 2)], 'parsed');
    expect(parsed.metrics.loss).toMatchObject({ source: 'parsed', count: 2, value: 2 });
    const explicit = reduce(parsed, metric(2, 'loss', 0.5, 10), 'explicit');
    expect(explicit.metrics.loss).toMatchObject({ source: 'explicit', count: 1, value: 0.5, step: 10 });
    const after = reduce(explicit, metric(3, 'loss', 9), 'parsed');
    expect(after.metrics.loss).toEqual(explicit.metrics.loss);
    expect(after.counts.parsedIgnored).toBe(3);
  });

  it('keeps the latest value exactly and at most metricPointsMax evenly spaced points', () => {
    const values = Array.from({ length: 100_000 }, (_, i) => metric(i, 'loss', 1 / (i + 1), i + 1));
    const series = fold(values, 'explicit').metrics.loss;
    expect(series?.value).toBe(1 / 100_000);
    expect(series?.count).toBe(100_000);
    expect(series?.points.length).toBeLessThanOrEqual(metricPointsMax);
    expect(series?.points.length).toBeGreaterThanOrEqual(metricPointsMax / 2);
    expect(series?.points[0]).toEqual({ n: 1, step: 1, value: 1 });
    const gaps = new Set(series?.points.slice(1).map((point, i) => point.n - (series.points[i]?.n ?? 0)));
    expect([...gaps]).toEqual([series?.stride]);
  });

  it('keeps at most metricNamesMax metric names and counts the values it drops', () => {
    const events = Array.from({ length: metricNamesMax + 5 }, (_, i) => metric(i, `m${i}`, i));
    const state = fold(events, 'explicit');
    expect(Object.keys(state.metrics)).toHaveLength(metricNamesMax);
    expect(state.counts.metricValuesDropped).toBe(5);
  });

  it('takes errors, phase names and lastEventAt from explicit events only; parsed checkpoints until explicit ones', () => {
    const at = progress(5);
    const checkpoint: JobEvent = { ...at, kind: 'checkpoint', path: 'a.pt', step: 3 };
    const error: JobEvent = { ...at, kind: 'error', message: 'boom' };
    const parsed = fold([checkpoint, error, progress(6, { phase: 'x' })], 'parsed');
    expect(parsed).toMatchObject({
      lastCheckpoint: checkpoint,
      lastError: null,
      lastEventAt: null,
      phase: null,
    });
    const explicit = fold([checkpoint, error], 'explicit');
    expect(explicit).toMatchObject({ lastCheckpoint: checkpoint, lastError: error, lastEventAt: at.t });
    expect(explicit.counts).toMatchObject({ events: 2, checkpoint: 1, error: 1 });
  });

  it('does not change the state it is given', () => {
    const before = fold([progress(0, { phase: 'a', step: 1 }), metric(0, 'loss', 1)], 'explicit');
    const copy = structuredClone(before);
    reduce(before, metric(1, 'loss', 2), 'explicit');
    reduce(before, progress(1, { phase: 'b' }), 'explicit');
    expect(before).toEqual(copy);
  });

  it('counts every skipped line and keeps the latest warnings of each file', () => {
    const warnings = Array.from({ length: 30 }, (_, i) => ({
      source: 'events' as const,
      line: i + 1,
      reason: 'bad',
    }));
    let state = recordSkips(emptyProgressState(), 'events', 35, warnings);
    state = recordSkips(state, 'stdout', 1, [{ source: 'stdout', line: 9, reason: 'long' }]);
    expect(state.skipped).toMatchObject({ total: 36, events: 35, stdout: 1, stderr: 0 });
    expect(state.skipped.warnings).toHaveLength(warningsMax + 1);
    expect(state.skipped.warnings[0]?.line).toBe(11);
    expect(state.skipped.warnings.at(-1)).toEqual({ source: 'stdout', line: 9, reason: 'long' });
  });

  it('gives the same view for any interleaving of the explicit and parsed streams', () => {
    const explicit: JobEvent[] = [
      progress(0, { phase: 'download', percent: 50 }),
      metric(1, 'loss', 1, 1),
      progress(2, { phase: 'train' }),
      metric(3, 'loss', 0.5, 2),
      progress(4, { step: 3, total: 10, message: 'going' }),
    ];
    const parsed: JobEvent[] = [
      progress(0, { percent: 10, step: 1, total: 10, message: 'bar' }),
      metric(0, 'loss', 7),
      metric(0, 'grad_norm', 1.5),
      progress(0, { percent: 20, step: 2, total: 10 }),
      metric(0, 'loss', 6),
    ];
    const expected = fold(parsed, 'parsed', fold(explicit, 'explicit'));
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 10, maxLength: 10 }), (picks) => {
        const tracker = new ProgressTracker();
        let e = 0;
        let p = 0;
        for (const pickExplicit of picks) {
          const fromExplicit = (pickExplicit && e < explicit.length) || p >= parsed.length;
          const event = fromExplicit ? explicit[e++] : parsed[p++];
          if (event !== undefined) tracker.apply(event, fromExplicit ? 'explicit' : 'parsed');
        }
        expect(tracker.view()).toEqual(expected);
      }),
      fcParams(200),
    );
  });
});
