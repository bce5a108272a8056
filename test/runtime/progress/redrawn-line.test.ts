// Proves lastRedraw gives the state a terminal shows of a line rewritten with '\r' — on literal lines.
import { describe, expect, it } from 'vitest';
import { colourOnly, lastRedraw, withoutEscapes } from '../../../runtime/progress/redrawn-line.ts';

const ESC = String.fromCharCode(27);

describe('lastRedraw', () => {
  it('keeps a line without carriage returns as it is', () => {
    expect(lastRedraw('plain text')).toBe('plain text');
  });

  it('gives the last redraw of a tqdm line, skipping the closing \\r and blank clears', () => {
    const bar = (i: number) => `train: ${i * 10}%|| ${i}/10`;
    const line = Array.from({ length: 10 }, (_, i) => `\r${bar(i + 1)}`).join('');
    expect(lastRedraw(line)).toBe(bar(10));
    expect(lastRedraw(`${line}\r`)).toBe(bar(10));
    expect(lastRedraw(`${line}\r          \r`)).toBe(bar(10));
    expect(lastRedraw(`${line}\r${ESC}[A${ESC}[2K`)).toBe(bar(10));
    expect(lastRedraw('\r\r')).toBe('');
  });

  it('removes escapes, or keeps only the colours', () => {
    const text = `${ESC}[2K${ESC}[31mred${ESC}[0m${ESC}[A`;
    expect(withoutEscapes(text)).toBe('red');
    expect(colourOnly(text)).toBe(`${ESC}[31mred${ESC}[0m`);
  });
});
