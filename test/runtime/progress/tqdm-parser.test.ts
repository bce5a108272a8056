// Proves parseTqdm reads tqdm's default bar formats (known and unknown totals, it/s and s/it, SI
// scaling, descriptions, postfixes, ANSI codes) and ignores other text — on literal bar strings.
import { describe, expect, it } from 'vitest';
import { parseTqdm, tqdmCharsMax } from '../../../runtime/progress/tqdm-parser.ts';

describe('parseTqdm', () => {
  it('reads a bar with a total', () => {
    expect(parseTqdm(' 42%|████▏     | 420/1000 [00:10<00:14, 41.2it/s]')).toEqual({
      description: null,
      percent: 42,
      step: 420,
      total: 1000,
      stepsPerS: 41.2,
      etaMs: 14_000,
      elapsedMs: 10_000,
      unit: 'it',
    });
  });

  it('reads a description prefix and a postfix', () => {
    expect(
      parseTqdm('Epoch 3:  42%|████▏     | 420/1000 [00:10<00:14, 41.20it/s, loss=0.431, lr=5e-5]'),
    ).toMatchObject({
      description: 'Epoch 3',
      step: 420,
      stepsPerS: 41.2,
    });
  });

  it('turns s/it into steps per second', () => {
    expect(parseTqdm(' 20%|██        | 4/20 [00:10<00:40,  2.50s/it]')).toMatchObject({
      percent: 20,
      stepsPerS: 0.4,
      etaMs: 40_000,
    });
  });

  it('reads the first update, whose rate and time left are unknown', () => {
    expect(parseTqdm('  0%|          | 0/1000 [00:00<?, ?it/s]')).toMatchObject({
      percent: 0,
      step: 0,
      stepsPerS: null,
      etaMs: null,
    });
  });

  it('reads a bar without a total', () => {
    expect(parseTqdm('Tokenizing: 420it [00:10, 41.20it/s]')).toEqual({
      description: 'Tokenizing',
      percent: null,
      step: 420,
      total: null,
      stepsPerS: 41.2,
      etaMs: null,
      elapsedMs: 10_000,
      unit: 'it',
    });
    expect(parseTqdm('420it [00:10, 41.2it/s]')).toMatchObject({ description: null, step: 420 });
  });

  it('scales SI-prefixed counts and rates, with hours in the clock', () => {
    expect(parseTqdm('100%|██████████| 4.20k/4.20k [1:02:03<00:00, 4.12kit/s]')).toMatchObject({
      percent: 100,
      step: 4200,
      total: 4200,
      stepsPerS: 4120,
      etaMs: 0,
    });
    expect(parseTqdm('model.bin:  50%|#####     | 1.23G/2.46G [01:00<01:00, 20.5MB/s]')).toMatchObject({
      description: 'model.bin',
      step: 1.23e9,
      stepsPerS: 20.5e6,
      unit: 'B',
    });
  });

  it('ignores ANSI cursor codes around a bar and the padding after it', () => {
    expect(parseTqdm('\u001b[A\u001b[2K 42%|####      | 42/100 [00:01<00:01, 41.0it/s]   ')).toMatchObject({
      step: 42,
      total: 100,
    });
  });

  it('returns null for lines that are not bars', () => {
    for (const line of [
      '',
      'hello [world]',
      "{'loss': 0.43}",
      'Epoch 3/10',
      '42% done [ok]',
      '[00:10, 4it/s]',
    ]) {
      expect(parseTqdm(line)).toBeNull();
    }
  });

  it('returns null quickly for a very long segment', () => {
    expect(parseTqdm(`${'x'.repeat(tqdmCharsMax)} 42%|#| 42/100 [00:01<00:01, 41.0it/s]`)).toBeNull();
  });
});
