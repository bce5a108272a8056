// Proves LogTail hands over every '\r'/'\n' segment of a growing log once, numbered by line, and
// holds at most segmentBytesMax however long a line is — on real files in a fresh temp dir.
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LogRead, type LogSegment, LogTail } from '../../../runtime/progress/log-tail.ts';

let dir: string;
let path: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rw-log-tail-'));
  path = join(dir, 'stderr.log');
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Reads until caught up (at most `passesMax` reads); returns the segments and the last result. */
function readAll(tail: LogTail, passesMax = 1000): { segments: LogSegment[]; reads: LogRead[] } {
  const segments: LogSegment[] = [];
  const reads: LogRead[] = [];
  for (let pass = 0; pass < passesMax; pass += 1) {
    const result = tail.read((segment) => segments.push(segment));
    if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
    reads.push(result.value);
    if (!result.value.more) return { segments, reads };
  }
  throw new Error(`not caught up after ${passesMax} reads`);
}

describe('LogTail', () => {
  it('splits at carriage returns and newlines and numbers segments by line', () => {
    writeFileSync(path, 'one\r\n\r 10%|bar\r 20%|bar\ntwo\n');
    const { segments } = readAll(new LogTail(dir, path));
    expect(segments.map((s) => [s.line, s.text])).toEqual([
      [1, 'one'],
      [2, ' 10%|bar'],
      [2, ' 20%|bar'],
      [3, 'two'],
    ]);
  });

  it('shows the unfinished last segment as pending and hands it over once when completed', () => {
    writeFileSync(path, 'a\r 42%|bar');
    const tail = new LogTail(dir, path);
    expect(readAll(tail).segments.map((s) => s.text)).toEqual(['a']);
    expect(tail.pending()).toEqual({ text: ' 42%|bar', line: 1, startOffset: 2, bytes: 8 });
    appendFileSync(path, ' more\rb\n');
    expect(readAll(tail).segments.map((s) => [s.text, s.startOffset])).toEqual([
      [' 42%|bar more', 2],
      ['b', 16],
    ]);
    expect(tail.pending()).toBeNull();
  });

  it('skips a 10 MB line with one warning naming its line and never holds more than the limit', () => {
    writeFileSync(path, 'first\n');
    appendFileSync(path, Buffer.alloc(10 * 1024 * 1024, 'x'));
    appendFileSync(path, '\nlast\n');
    const tail = new LogTail(dir, path, { segmentBytesMax: 16 * 1024 });
    const { segments, reads } = readAll(tail);
    expect(segments.map((s) => s.text)).toEqual(['first', 'last']);
    expect(reads.flatMap((r) => r.skipped)).toEqual([
      { line: 2, reason: "a segment longer than 16384 bytes without '\\r' or '\\n'; not parsed" },
    ]);
    expect(reads.reduce((sum, r) => sum + r.skippedCount, 0)).toBe(1);
    expect(tail.heldBytesPeak).toBeLessThanOrEqual(16 * 1024);
  });

  it('keeps memory flat for a bar redrawn 100,000 times without a newline', () => {
    const updates = Array.from({ length: 100_000 }, (_, i) => `\r${i}/100000 [00:01<00:01, 9.0it/s]`).join(
      '',
    );
    writeFileSync(path, updates);
    const tail = new LogTail(dir, path);
    const { segments } = readAll(tail);
    expect(segments).toHaveLength(99_999);
    expect(tail.pending()?.text).toBe('99999/100000 [00:01<00:01, 9.0it/s]');
    expect(tail.heldBytesPeak).toBeLessThan(100);
  });

  it('decodes invalid UTF-8 leniently instead of failing', () => {
    writeFileSync(
      path,
      Buffer.concat([Buffer.from('ok '), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('\n')]),
    );
    const { segments } = readAll(new LogTail(dir, path));
    expect(segments.map((s) => s.text)).toEqual(['ok \uFFFD\uFFFD\uFFFD(']);
  });

  it('reads a missing file as empty and a shrunken file again from its start', () => {
    const tail = new LogTail(dir, path);
    expect(readAll(tail).segments).toEqual([]);
    writeFileSync(path, 'old line\n');
    readAll(tail);
    writeFileSync(path, 'new\n');
    const { segments, reads } = readAll(tail);
    expect(segments.map((s) => [s.line, s.text])).toEqual([[1, 'new']]);
    expect(reads[0]?.skipped[0]).toMatchObject({ line: 0, reason: expect.stringMatching(/shrank/) });
  });
});
