// Proves that distinct tqdm bars read as distinct phases and that a bar's ETA is believed only
// when it agrees with the rate measured on the bar's own clock — by folding parsed literal bars.
import { describe, expect, it } from 'vitest';
import { eventsOfSegment } from '../../../runtime/progress/log-events.ts';
import { type ProgressState, ProgressTracker } from '../../../runtime/progress/run-view.ts';

const at = { t: '2026-01-01T00:00:00.000Z', atMs: Date.parse('2026-01-01T00:00:00.000Z') };

/** The view after parsing these log segments in order (all read at the same instant). */
function afterBars(...segments: string[]): ProgressState {
  const tracker = new ProgressTracker();
  for (const segment of segments)
    for (const event of eventsOfSegment(segment, at, false)) tracker.apply(event, 'parsed');
  return tracker.view();
}

describe('tqdm bars as phases', () => {
  it('a finished download bar is a phase done, not the run progress', () => {
    const state = afterBars(
      'Downloading:  50%|#####     | 2/4 [00:01<00:01,  2.00it/s]',
      'Downloading: 100%|##########| 4/4 [00:02<00:00,  2.00it/s]',
    );
    expect(state.percent).toBeNull();
    expect(state.step).toBeNull();
    expect(state.phase).toBeNull();
    expect(state.phasesDone).toEqual(['Downloading']);
  });

  it('a bar with another description starts a new phase named by it', () => {
    const state = afterBars(
      'Downloading: 100%|##########| 4/4 [00:02<00:00,  2.00it/s]',
      'Epoch 1:  10%|#         | 40/400 [00:04<00:36, 10.00it/s]',
    );
    expect(state).toMatchObject({ phase: 'Epoch 1', step: 40, total: 400, phasesDone: ['Downloading'] });
  });

  it('a bar that restarts from 0 or changes its total is a new bar', () => {
    const restarted = afterBars(
      'Eval:  50%|#####     | 5/10 [00:01<00:01,  5.00it/s]',
      'Train:  20%|##        | 2/10 [00:01<00:04,  2.00it/s]',
      'Eval:  10%|#         | 1/10 [00:00<00:01,  9.00it/s]',
    );
    expect(restarted).toMatchObject({ phase: 'Eval', step: 1, phasesDone: ['Train'] });
    const retotalled = afterBars(
      'Epoch 1:  50%|#####     | 50/100 [00:05<00:05, 10.00it/s]',
      'Epoch 2:  10%|#         | 10/100 [00:01<00:09, 10.00it/s]',
    );
    expect(retotalled).toMatchObject({ phase: 'Epoch 2', phasesDone: ['Epoch 1'] });
  });

  it('a single bar without a description keeps showing its counters when it is done', () => {
    expect(afterBars('100%|##########| 10/10 [00:05<00:00,  2.00it/s]')).toMatchObject({
      step: 10,
      percent: 100,
      phase: null,
    });
  });
});

describe('the ETA of a parsed bar', () => {
  it('is not the 0 tqdm prints at 20 %: it comes from the rate', () => {
    // tqdm printed <00:00 (a bad estimate); the bar says 2 it/s, with 80 of 100 steps left.
    const state = afterBars('Epoch 1:  20%|##        | 20/100 [00:10<00:00,  2.00it/s]');
    expect(state.etaMs).toBe(40_000);
  });

  it('is measured over the bar clock when tqdm omits it or contradicts the observed rate', () => {
    const state = afterBars(
      'Epoch 1:  10%|#         | 10/100 [00:05<?, ?it/s]',
      // 10 steps in 5 s on the bar's own clock: 2 it/s, so 80 steps take 40 s, not 1 s.
      'Epoch 1:  20%|##        | 20/100 [00:10<00:01, ?it/s]',
    );
    expect(state.stepsPerS).toBeCloseTo(2);
    expect(state.etaMs).toBe(40_000);
  });

  it('keeps tqdm ETA when it agrees with the rate, and 0 at the end', () => {
    expect(afterBars('Epoch 1:  20%|##        | 20/100 [00:10<00:42,  2.00it/s]').etaMs).toBe(42_000);
    expect(afterBars('100%|##########| 10/10 [00:05<00:00,  2.00it/s]').etaMs).toBe(0);
  });
});

describe('checkpoint lines in the logs', () => {
  it('reads a Trainer-style checkpoint line until the job reports checkpoints itself', () => {
    const state = afterBars('Saving model checkpoint to out/checkpoint-80', "{'loss': 0.5, 'epoch': 0.2}");
    expect(state.lastCheckpoint).toMatchObject({ path: 'out/checkpoint-80', step: 80 });
    const tracker = new ProgressTracker();
    tracker.apply({ kind: 'checkpoint', t: at.t, atMs: at.atMs, extra: {}, path: 'mine.pt' }, 'explicit');
    for (const event of eventsOfSegment('Saving model checkpoint to out/checkpoint-9', at, false))
      tracker.apply(event, 'parsed');
    expect(tracker.view().lastCheckpoint).toMatchObject({ path: 'mine.pt' });
  });

  it('reads Lightning and plain "saved checkpoint PATH" lines as checkpoints (issue 14)', () => {
    const lines: [string, { path: string; step?: number }][] = [
      [
        "Epoch 2, global step 300: 'val_loss' reached 0.41 (best 0.41), saving model to '/ck/epoch=2-step=300.ckpt' as top 1",
        { path: '/ck/epoch=2-step=300.ckpt', step: 300 },
      ],
      ['saved checkpoint ckpt/step-1200.pt', { path: 'ckpt/step-1200.pt', step: 1200 }],
      ['[rank0] Saved checkpoint to: /data/run/ckpt_7.pt', { path: '/data/run/ckpt_7.pt' }],
      ['Saving checkpoint to out/last.ckpt', { path: 'out/last.ckpt' }],
    ];
    for (const [line, want] of lines) {
      const events = eventsOfSegment(line, at, false);
      expect({ line, events: events.map((e) => e.kind) }).toEqual({ line, events: ['checkpoint'] });
      expect(events[0]).toMatchObject(want);
    }
    expect(eventsOfSegment('we never saved checkpoint files here because', at, false)).not.toContainEqual(
      expect.objectContaining({ kind: 'checkpoint', path: 'because' }),
    );
  });
});
