// Proves metric lines (Trainer dicts, JSON objects, Keras summaries) become metrics with the right
// step, other lines do not, and the dict reader never evaluates anything — on literal log lines.
import { describe, expect, it } from 'vitest';
import { parseMetricLine } from '../../../runtime/progress/metric-line-parser.ts';
import { parseFlatDict } from '../../../runtime/progress/python-literal.ts';

describe('parseMetricLine', () => {
  it('reads a Trainer log dict, taking epoch as the step', () => {
    expect(
      parseMetricLine("{'loss': 0.4312, 'grad_norm': 1.25, 'learning_rate': 4.9e-05, 'epoch': 0.12}"),
    ).toEqual([
      { name: 'loss', value: 0.4312, step: 0.12 },
      { name: 'grad_norm', value: 1.25, step: 0.12 },
      { name: 'learning_rate', value: 4.9e-5, step: 0.12 },
    ]);
  });

  it('prefers step and global_step over epoch, and keeps epoch as a metric then', () => {
    expect(parseMetricLine('{"loss": 0.1, "epoch": 1.5, "global_step": 300, "tag": "x"}')).toEqual([
      { name: 'loss', value: 0.1, step: 300 },
      { name: 'epoch', value: 1.5, step: 300 },
    ]);
  });

  it('reads eval and summary dicts with nan and numpy or torch scalars', () => {
    const metrics = parseMetricLine(
      "{'eval_loss': nan, 'eval_acc': np.float64(0.91), 'grad': tensor(1.5, device='cuda:0'), 'epoch': 2.0}",
    );
    expect(metrics?.map((m) => m.name)).toEqual(['eval_loss', 'eval_acc', 'grad']);
    expect(metrics?.[0]?.value).toBeNaN();
    expect(metrics?.[1]).toEqual({ name: 'eval_acc', value: 0.91, step: 2 });
  });

  it('reads a Keras progress summary', () => {
    expect(
      parseMetricLine('1875/1875 ━━━━━━━━━━━━━━━━━━━━ 2s 1ms/step - accuracy: 0.8766 - loss: 0.4364'),
    ).toEqual([
      { name: 'accuracy', value: 0.8766, step: null },
      { name: 'loss', value: 0.4364, step: null },
    ]);
    expect(
      parseMetricLine('60000/60000 [==============================] - 2s 33us/step - loss: 0.2 - acc: 0.9'),
    ).toHaveLength(2);
  });

  it('ignores lines without a loss-like key and lines that are not dicts', () => {
    for (const line of [
      "{'accuracy': 0.9}",
      "{'loss': [1, 2]}",
      "{'loss': __import__('os').system('true')}",
      'loss went down',
      "{'loss': 0.4} trailing",
      'ETA: 1s - loss: soon',
    ]) {
      expect(parseMetricLine(line)).toBeNull();
    }
  });
});

describe('parseFlatDict', () => {
  it('reads Python and JSON scalars, escapes and trailing commas', () => {
    const dict = parseFlatDict(
      `{'a': None, "b": True, 'c': false, 'd': 'it\\'s', "e": "\\u00e9", 'f': 1_000, 'g': -inf,}`,
    );
    expect(dict && Object.fromEntries(dict)).toEqual({
      a: null,
      b: true,
      c: false,
      d: "it's",
      e: 'é',
      f: 1000,
      g: Number.NEGATIVE_INFINITY,
    });
  });

  it('refuses nesting, calls of non-numbers, unterminated strings and too many keys', () => {
    expect(parseFlatDict("{'a': {'b': 1}}")).toBeNull();
    expect(parseFlatDict("{'a': f('x')}")).toBeNull();
    expect(parseFlatDict("{'a': 'open}")).toBeNull();
    expect(
      parseFlatDict(`{${Array.from({ length: 5 }, (_, i) => `'k${i}': ${i}`).join(', ')}}`, 4),
    ).toBeNull();
  });
});
