// Proves appendLine writes whole lines that never interleave: 4 real node processes append 8 KiB
// lines to one file at once and every line reads back intact; real files in a fresh temp dir.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendLine, NdjsonReader } from '../../../runtime/fs/ndjson-reader.ts';
import { endNodeChildren, moduleUrl, startNodeChild, waitFor } from './node-child.ts';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rw-append-'));
});

afterEach(async () => {
  await endNodeChildren();
  rmSync(dir, { recursive: true, force: true });
});

const appender = `
  import { appendLine } from '${moduleUrl('runtime/fs/ndjson-append.ts')}';
  const writer = process.env.WRITER;
  const pad = writer.repeat(8192);
  console.log('ready');
  process.stdin.once('data', () => {
    for (let seq = 0; seq < 500; seq += 1) {
      const result = appendLine(process.env.TARGET.slice(0, process.env.TARGET.lastIndexOf("/")), process.env.TARGET, { writer, seq, pad });
      if (!result.ok) { console.log(JSON.stringify(result)); process.exit(1); }
    }
    console.log('done');
    process.exit(0);
  });`;

describe('appendLine', () => {
  it('creates the file and appends one JSON line per call', () => {
    const path = join(dir, 'events.ndjson');
    expect(appendLine(dir, path, { a: 1 })).toEqual({ ok: true, value: null });
    expect(appendLine(dir, path, { b: 'two\nlines' }, { fsync: true })).toEqual({ ok: true, value: null });
    expect(readFileSync(path, 'utf8')).toBe('{"a":1}\n{"b":"two\\nlines"}\n');
  });

  it('refuses a value JSON cannot encode with RW_NOT_SERIALIZABLE and writes nothing', () => {
    const path = join(dir, 'events.ndjson');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(appendLine(dir, path, cyclic).ok ? 'ok' : 'refused').toBe('refused');
    const result = appendLine(dir, path, undefined);
    expect(result.ok ? 'ok' : result.error.code).toBe('RW_NOT_SERIALIZABLE');
    expect(() => readFileSync(path)).toThrow(/ENOENT/);
  });

  it('fails with RW_WRITE_FAILED naming the path when the directory is missing', () => {
    const path = join(dir, 'missing', 'events.ndjson');
    const result = appendLine(dir, path, { a: 1 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('RW_WRITE_FAILED');
    expect(result.error.message).toContain(`appending to ${path}: ENOENT`);
  });

  it('keeps every line whole when 4 processes append 8 KiB lines at the same time', async () => {
    const path = join(dir, 'events.ndjson');
    const writers = ['a', 'b', 'c', 'd'].map((writer) =>
      startNodeChild(appender, { env: { TARGET: path, WRITER: writer } }),
    );
    await waitFor('all appenders ready', () => writers.every((child) => child.lines[0] === 'ready'));
    for (const child of writers) child.process.stdin?.write('go\n');
    expect(await Promise.all(writers.map((child) => child.exited))).toEqual([0, 0, 0, 0]);
    const reader = new NdjsonReader(dir, path);
    const records: unknown[] = [];
    // 2000 lines of ~8 KiB is ~16 MiB: two or three reads at the default readBytesMax.
    for (let pass = 0; pass < 10; pass += 1) {
      const batch = reader.read();
      if (!batch.ok) throw new Error(batch.error.message);
      expect(batch.value.skipped).toEqual([]);
      records.push(...batch.value.records);
      if (!batch.value.more) break;
    }
    expect(records).toHaveLength(2000);
    for (const writer of ['a', 'b', 'c', 'd']) {
      const mine = records.filter((record) => (record as { writer: string }).writer === writer);
      expect(mine.map((record) => (record as { seq: number }).seq)).toEqual(
        Array.from({ length: 500 }, (_, i) => i),
      );
      expect(mine.every((record) => (record as { pad: string }).pad === writer.repeat(8192))).toBe(true);
    }
  });
});
