// Proves the events' time reader gives exactly Date.parse's answer: for every instant's ISO form
// (the form reporters write), and for strings of that shape with any digits (out-of-range months,
// days, hours, leap days, years below 100), where it must defer to Date.parse.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { timeOf } from '../../../runtime/progress/normalize-event.ts';

describe('timeOf', () => {
  it('equals Date.parse for the ISO form of any instant', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date(-62_000_000_000_000),
          max: new Date(253_402_300_799_999),
          noInvalidDate: true,
        }),
        (date) => {
          const text = date.toISOString();
          expect(timeOf(text)).toBe(Date.parse(text));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('equals Date.parse (NaN included) for strings of that shape with any digits or separators', () => {
    const digit = fc.constantFrom(...'0123456789');
    const sep = (usual: string) => fc.constantFrom(usual, usual, usual, ' ', 'x', '+', 'Z');
    const text = fc
      .tuple(
        fc.array(digit, { minLength: 4, maxLength: 4 }),
        sep('-'),
        fc.array(digit, { minLength: 2, maxLength: 2 }),
        sep('-'),
        fc.array(digit, { minLength: 2, maxLength: 2 }),
        sep('T'),
        fc.array(digit, { minLength: 2, maxLength: 2 }),
        sep(':'),
        fc.array(digit, { minLength: 2, maxLength: 2 }),
        sep(':'),
        fc.array(digit, { minLength: 2, maxLength: 2 }),
        sep('.'),
        fc.array(digit, { minLength: 3, maxLength: 3 }),
        sep('Z'),
      )
      .map((parts) => parts.map((p) => (Array.isArray(p) ? p.join('') : p)).join(''));
    fc.assert(
      fc.property(text, (s) => {
        expect(Object.is(timeOf(s), Date.parse(s))).toBe(true);
      }),
      { numRuns: 5000 },
    );
    for (const s of [
      '2024-02-29T23:59:59.999Z',
      '2023-02-29T00:00:00.000Z',
      '1900-02-29T00:00:00.000Z',
      '0099-12-31T00:00:00.000Z',
      '2025-01-01T24:00:00.000Z',
    ])
      expect(Object.is(timeOf(s), Date.parse(s))).toBe(true);
  });
});
