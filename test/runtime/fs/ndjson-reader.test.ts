// Proves the NDJSON follower reads every complete line exactly once across torn appends, skips
// and reports bad or overlong lines, stays bounded and resumes; real files in a fresh temp dir.
import { appendFileSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type NdjsonBatch, NdjsonReader, type NdjsonSkip } from '../../../runtime/fs/ndjson-reader.ts';

let dir: string;
let path: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rw-ndjson-'));
  path = join(dir, 'events.ndjson');
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** One read that must succeed. */
function readOk(reader: NdjsonReader, final = false): NdjsonBatch {
  const result = reader.read({ final });
  if (!result.ok) throw new Error(`read failed: ${result.error.code} ${result.error.message}`);
  return result.value;
}

/** Reads until the reader has caught up with the file (bounded by `passesMax`). */
function readAll(reader: NdjsonReader, passesMax = 1000): { records: unknown[]; skipped: NdjsonSkip[] } {
  const records: unknown[] = [];
  const skipped: NdjsonSkip[] = [];
  for (let pass = 0; pass < passesMax; pass += 1) {
    const batch = readOk(reader);
    records.push(...batch.records);
    skipped.push(...batch.skipped);
    if (!batch.more) return { records, skipped };
  }
  throw new Error(`reader did not catch up within ${passesMax} reads`);
}

describe('NdjsonReader', () => {
  it('reads complete lines as objects and reports where to resume', () => {
    writeFileSync(path, '{"a":1}\n{"b":2}\n');
    const batch = readOk(new NdjsonReader(dir, path));
    expect(batch).toEqual({ records: [{ a: 1 }, { b: 2 }], skipped: [], offset: 16, line: 3, more: false });
  });

  it('reads a missing file as empty and picks it up once it appears', () => {
    const reader = new NdjsonReader(dir, path);
    expect(readOk(reader).records).toEqual([]);
    writeFileSync(path, '{"a":1}\n');
    expect(readOk(reader).records).toEqual([{ a: 1 }]);
  });

  it('holds a torn last line until a later append completes it, then returns it exactly once', () => {
    writeFileSync(path, '{"a":1}\n{"b":');
    const reader = new NdjsonReader(dir, path);
    const first = readOk(reader);
    expect(first.records).toEqual([{ a: 1 }]);
    expect(first.offset).toBe(8);
    expect(readOk(reader).records).toEqual([]);
    appendFileSync(path, '2}\n');
    expect(readOk(reader).records).toEqual([{ b: 2 }]);
    expect(readOk(reader).records).toEqual([]);
  });

  it('counts a malformed line with its line number and keeps reading', () => {
    writeFileSync(path, '{"a":1}\n{"b":\n42\n{"c":3}\n');
    const reader = new NdjsonReader(dir, path);
    const batch = readOk(reader);
    expect(batch.records).toEqual([{ a: 1 }, { c: 3 }]);
    expect(batch.skipped).toHaveLength(2);
    expect(batch.skipped[0]?.line).toBe(2);
    expect(batch.skipped[0]?.reason).toMatch(/^not valid JSON: /);
    expect(batch.skipped[1]).toEqual({ line: 3, reason: 'not a JSON object' });
    expect(reader.counters.malformedLines).toBe(2);
  });

  it('reports invalid UTF-8 as a malformed line rather than decoding it with replacements', () => {
    const bad = Buffer.from([0x7b, 0x22, 0x78, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d, 0x0a]);
    writeFileSync(path, Buffer.concat([Buffer.from('{"a":1}\n'), bad, Buffer.from('{"é":"ü"}\n')]));
    const batch = readOk(new NdjsonReader(dir, path));
    expect(batch.records).toEqual([{ a: 1 }, { é: 'ü' }]);
    expect(batch.skipped).toEqual([{ line: 2, reason: 'not valid UTF-8' }]);
  });

  it('ignores blank lines and CRLF endings but keeps counting lines', () => {
    writeFileSync(path, '{"a":1}\r\n\n   \n{"b":2}\r\n!\n');
    const batch = readOk(new NdjsonReader(dir, path));
    expect(batch.records).toEqual([{ a: 1 }, { b: 2 }]);
    expect(batch.skipped.map((skip) => skip.line)).toEqual([5]);
  });

  it('skips a 10 MB line without ever holding more than lineBytesMax of it', () => {
    const big = `{"pad":"${'x'.repeat(10 * 1024 * 1024)}"}`;
    writeFileSync(path, `{"a":1}\n${big}\n{"c":3}\n`);
    const reader = new NdjsonReader(dir, path);
    const all = readAll(reader);
    expect(all.records).toEqual([{ a: 1 }, { c: 3 }]);
    expect(all.skipped).toEqual([{ line: 2, reason: 'line longer than 1048576 bytes' }]);
    expect(reader.counters.overlongLines).toBe(1);
    expect(reader.counters.bufferedBytesPeak).toBeLessThanOrEqual(reader.lineBytesMax);
    expect(reader.counters.bytesScanned).toBe(big.length + 17);
  });

  it('skips an overlong line that arrives in pieces across reads, reporting it once', () => {
    const reader = new NdjsonReader(dir, path, { lineBytesMax: 1000, chunkBytes: 256 });
    writeFileSync(path, `{"a":1}\n{"pad":"${'x'.repeat(700)}`);
    expect(readOk(reader).records).toEqual([{ a: 1 }]);
    appendFileSync(path, 'x'.repeat(700));
    expect(readOk(reader)).toMatchObject({ records: [], skipped: [] });
    appendFileSync(path, '"}\n{"c":3}\n');
    const batch = readOk(reader);
    expect(batch.records).toEqual([{ c: 3 }]);
    expect(batch.skipped).toEqual([{ line: 2, reason: 'line longer than 1000 bytes' }]);
    expect(reader.counters.bufferedBytesPeak).toBeLessThanOrEqual(1000);
  });

  it('stops after readBytesMax with more: true and continues where it stopped', () => {
    writeFileSync(path, '{"i":1}\n'.repeat(100));
    const reader = new NdjsonReader(dir, path, { readBytesMax: 200, chunkBytes: 64 });
    const first = readOk(reader);
    expect(first.more).toBe(true);
    expect(first.records.length).toBe(25);
    expect(readAll(reader).records.length).toBe(75);
  });

  it('resuming from a saved offset and line returns only the newer lines, numbered on', () => {
    writeFileSync(path, '{"i":1}\n{"i":2}\n{"i":');
    const saved = readOk(new NdjsonReader(dir, path));
    appendFileSync(path, '3}\n{"i":4}\nnope\n');
    const resumed = new NdjsonReader(dir, path, { offset: saved.offset, line: saved.line });
    const batch = readOk(resumed);
    expect(batch.records).toEqual([{ i: 3 }, { i: 4 }]);
    expect(batch.skipped).toEqual([{ line: 5, reason: expect.stringMatching(/^not valid JSON/) }]);
  });

  it('counts an unterminated last line only when told the writer is done', () => {
    writeFileSync(path, '{"a":1}\n{"b":2}');
    const reader = new NdjsonReader(dir, path);
    expect(readOk(reader).records).toEqual([{ a: 1 }]);
    const last = readOk(reader, true);
    expect(last.records).toEqual([{ b: 2 }]);
    expect(last.offset).toBe(15);
    expect(last.line).toBe(3);
  });

  it('fails with RW_FILE_TRUNCATED when the file shrinks below what was read', () => {
    writeFileSync(path, '{"a":1}\n{"b":2}\n');
    const reader = new NdjsonReader(dir, path);
    readOk(reader);
    truncateSync(path, 4);
    const result = reader.read();
    expect(result.ok ? 'ok' : result.error.code).toBe('RW_FILE_TRUNCATED');
  });

  it('reads 100k lines correctly and in order', () => {
    const lines = Array.from({ length: 100_000 }, (_, i) => `{"i":${i},"phase":"train"}\n`);
    writeFileSync(path, lines.join(''));
    const reader = new NdjsonReader(dir, path);
    const all = readAll(reader);
    expect(all.skipped).toEqual([]);
    expect(all.records.length).toBe(100_000);
    expect(all.records.every((record, i) => (record as { i: number }).i === i)).toBe(true);
    expect(readOk(reader).line).toBe(100_001);
  });

  it('returns the same records however the file is split into appends and chunks (property)', () => {
    const lineArb = fc.oneof(
      fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(fc.integer(), fc.string({ maxLength: 8 })), {
        maxKeys: 3,
      }),
      fc.constantFrom('{"torn":', 'not json', '[1]'),
    );
    const property = fc.property(
      fc.array(lineArb, { maxLength: 30 }),
      fc.integer({ min: 1, max: 40 }),
      fc.array(fc.nat(), { maxLength: 6 }),
      (items, chunkBytes, cuts) => {
        const text = items
          .map((item) => `${typeof item === 'string' ? item : JSON.stringify(item)}\n`)
          .join('');
        const bytes = Buffer.from(text, 'utf8');
        const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
        writeFileSync(path, '');
        const reader = new NdjsonReader(dir, path, { chunkBytes });
        const records: unknown[] = [];
        const skippedLines: number[] = [];
        let at = 0;
        for (const point of [...points, bytes.length]) {
          appendFileSync(path, bytes.subarray(at, point));
          at = point;
          const batch = readOk(reader);
          records.push(...batch.records);
          skippedLines.push(...batch.skipped.map((skip) => skip.line));
        }
        expect(records).toEqual(items.filter((item) => typeof item !== 'string'));
        const badLines = items.flatMap((item, i) => (typeof item === 'string' ? [i + 1] : []));
        expect(skippedLines).toEqual(badLines);
      },
    );
    fc.assert(property, { numRuns: 200 });
  });
});
