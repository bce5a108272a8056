// Proves readJsonFile classifies missing, valid and every kind of corrupt file without throwing,
// and quarantineFile moves a corrupt file aside; real files in a fresh temp dir.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { quarantineFile, readJsonFile } from '../../../runtime/fs/read-json.ts';

interface Lock {
  readonly runId: string;
}

/** Accepts objects with a string `runId`. */
function isLock(value: unknown): value is Lock {
  return typeof value === 'object' && value !== null && 'runId' in value && typeof value.runId === 'string';
}

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rw-json-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes `content` to a fresh file and reads it back with the lock validator. */
function readContent(content: string | Uint8Array) {
  const path = join(dir, 'lock.json');
  writeFileSync(path, content);
  return readJsonFile(dir, path, isLock);
}

describe('readJsonFile', () => {
  it('reads a valid file as ok with its value', () => {
    expect(readContent('{"runId":"r1"}')).toEqual({
      ok: true,
      value: { state: 'ok', value: { runId: 'r1' } },
    });
  });

  it('reports a missing file as missing', () => {
    expect(readJsonFile(dir, join(dir, 'nope.json'), isLock)).toEqual({
      ok: true,
      value: { state: 'missing' },
    });
  });

  it('reports an empty file as corrupt: empty file', () => {
    expect(readContent('')).toEqual({ ok: true, value: { state: 'corrupt', detail: 'empty file' } });
  });

  it('reports a NUL-filled file as a torn write', () => {
    const result = readContent(new Uint8Array(512));
    expect(result).toEqual({ ok: true, value: { state: 'corrupt', detail: 'NUL bytes (torn write)' } });
  });

  it('reports a file with a NUL tail after valid-looking JSON as a torn write', () => {
    const bytes = Buffer.concat([Buffer.from('{"runId":"r1"}'), Buffer.alloc(64)]);
    expect(readContent(bytes)).toEqual({
      ok: true,
      value: { state: 'corrupt', detail: 'NUL bytes (torn write)' },
    });
  });

  it('reports a half-written file as not valid JSON with the parser message', () => {
    const result = readContent('{"runId":"r');
    expect(result.ok && result.value.state).toBe('corrupt');
    if (!result.ok || result.value.state !== 'corrupt') return;
    expect(result.value.detail).toMatch(/^not valid JSON: /);
    expect(result.value.detail).toMatch(/Unterminated string|end of JSON input/);
  });

  it('reports a file cut right after a key as not valid JSON: Unexpected end of JSON input', () => {
    expect(readContent('{"runId":')).toEqual({
      ok: true,
      value: { state: 'corrupt', detail: 'not valid JSON: Unexpected end of JSON input' },
    });
  });

  it('reports valid JSON of the wrong shape as unexpected shape', () => {
    expect(readContent('{"pid":12}')).toEqual({
      ok: true,
      value: { state: 'corrupt', detail: 'unexpected shape' },
    });
    expect(readContent('[]')).toEqual({ ok: true, value: { state: 'corrupt', detail: 'unexpected shape' } });
  });

  it('reports invalid UTF-8 as corrupt', () => {
    const bytes = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
    expect(readContent(bytes)).toEqual({ ok: true, value: { state: 'corrupt', detail: 'not valid UTF-8' } });
  });

  it('reports a file over bytesMax as corrupt without reading it', () => {
    const path = join(dir, 'big.json');
    writeFileSync(path, `{"runId":"${'x'.repeat(100)}"}`);
    const result = readJsonFile(dir, path, isLock, { bytesMax: 50 });
    expect(result.ok && result.value.state).toBe('corrupt');
  });

  it('returns RW_NOT_REGULAR naming the path for a directory instead of throwing', () => {
    const path = join(dir, 'adir');
    mkdirSync(path);
    const result = readJsonFile(dir, path, isLock);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('RW_NOT_REGULAR');
    expect(result.error.message).toContain(`${path} is a directory, not a regular file`);
  });
});

describe('quarantineFile', () => {
  it('renames the file to <name>.corrupt-<timestamp>-<random> and returns the new path', () => {
    const path = join(dir, 'lock.json');
    writeFileSync(path, '{"runId":');
    const result = quarantineFile(dir, path);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(basename(result.value)).toMatch(/^lock\.json\.corrupt-\d{8}T\d{9}Z-[0-9a-f]{8}$/);
    expect(existsSync(path)).toBe(false);
    expect(readFileSync(result.value, 'utf8')).toBe('{"runId":');
    expect(readdirSync(dir)).toEqual([basename(result.value)]);
  });

  it('gives two quarantines of the same file distinct names', () => {
    const path = join(dir, 'lock.json');
    writeFileSync(path, 'a');
    const first = quarantineFile(dir, path);
    writeFileSync(path, 'b');
    const second = quarantineFile(dir, path);
    expect(first.ok && second.ok && first.value !== second.value).toBe(true);
  });

  it('fails with RW_FILE_GONE when another process moved the file first', () => {
    const result = quarantineFile(dir, join(dir, 'lock.json'));
    expect(result.ok ? result.value : result.error.code).toBe('RW_FILE_GONE');
  });
});
