// Proves the NDJSON reader's whole-chunk decoding (complete lines of a chunk decoded and split at
// once when they are valid UTF-8) finds exactly what judging each line on its own finds: the same
// records, and the same skipped lines with the same reasons, whatever the chunk size, for random
// files of objects, other JSON, blank and whitespace lines, '\r\n' endings, invalid UTF-8,
// characters outside the BMP and overlong lines; real files in a fresh temp dir.
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseNdjsonLine } from '../../../runtime/fs/ndjson-line.ts';
import { NdjsonReader, type NdjsonSkip } from '../../../runtime/fs/ndjson-reader.ts';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rw-ndjson-lines-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const lineBytesMax = 120;

/** What judging each '\n'-terminated line on its own gives (the reference). */
function eachLine(bytes: Buffer): { records: unknown[]; skipped: NdjsonSkip[] } {
  const records: unknown[] = [];
  const skipped: NdjsonSkip[] = [];
  let start = 0;
  let line = 1;
  for (let nl = bytes.indexOf(0x0a); nl !== -1; nl = bytes.indexOf(0x0a, start)) {
    const piece = bytes.subarray(start, nl);
    if (piece.length > lineBytesMax) skipped.push({ line, reason: `line longer than ${lineBytesMax} bytes` });
    else {
      const parsed = parseNdjsonLine(piece);
      if (parsed.kind === 'record') records.push(parsed.record);
      else if (parsed.kind === 'malformed') skipped.push({ line, reason: parsed.reason });
    }
    start = nl + 1;
    line += 1;
  }
  return { records, skipped };
}

const piece = fc.oneof(
  fc
    .dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.string({ maxLength: 8 }), fc.integer()))
    .map((o) => JSON.stringify(o)),
  fc.constantFrom(
    '[1,2]',
    '42',
    'null',
    '"x"',
    '{bad',
    '{"a":1}x',
    '',
    '   ',
    '\t',
    '\u00a0',
    '\ufeff{"b":2}',
  ),
  fc.constantFrom('{"emoji":"\u{1F600}\u{1F600}"}', '{"e":"é"}', `{"k":"${'é'.repeat(45)}"}`),
  fc.string({ minLength: 100, maxLength: 130 }).map((s) => JSON.stringify({ long: s })),
);
const line = fc.tuple(piece, fc.constantFrom('\n', '\r\n'), fc.boolean()).map(([text, end, bad]) => {
  const bytes = Buffer.from(text + end, 'utf8');
  // Now and then a byte that is not UTF-8 in the middle.
  return bad && bytes.length > 2
    ? Buffer.concat([bytes.subarray(0, 1), Buffer.from([0xff]), bytes.subarray(1)])
    : bytes;
});

describe('NdjsonReader line splitting', () => {
  it('finds what judging each line alone finds, for any chunk size', () => {
    let n = 0;
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 40 }),
        fc.integer({ min: 1, max: 300 }),
        (lines, chunkBytes) => {
          const path = join(dir, `e${n++}.ndjson`);
          const bytes = Buffer.concat(lines);
          appendFileSync(path, bytes);
          const reader = new NdjsonReader(dir, path, { lineBytesMax, chunkBytes, readBytesMax: 1 << 20 });
          const got = reader.read();
          if (!got.ok) throw new Error(got.error.message);
          expect({ records: got.value.records, skipped: got.value.skipped }).toEqual(eachLine(bytes));
          expect(got.value.offset).toBe(bytes.length);
          expect(got.value.line).toBe(lines.length + 1);
        },
      ),
      { numRuns: 400 },
    );
  });
});
