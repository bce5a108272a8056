// Proves openConfined/readConfined refuse every way out of the workspace (symlinked file, symlinked
// directory, FIFO, device, directory) without blocking, and read regular files inside; real files.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeQuietly } from '../../../runtime/fs/cleanup.ts';
import { openConfined, readConfined } from '../../../runtime/fs/confined.ts';

let outside: string;
let root: string;

beforeEach(() => {
  outside = mkdtempSync(join(tmpdir(), 'rw-confined-'));
  root = join(outside, 'runs');
  mkdirSync(join(root, 'run-1'), { recursive: true });
  writeFileSync(join(outside, 'secret'), 'top secret');
});

afterEach(() => {
  rmSync(outside, { recursive: true, force: true });
});

/** The error code of a refused read, or 'ok'/'missing'. */
function verdict(path: string): string {
  const read = readConfined(root, path, 1024);
  if (!read.ok) return read.error.code;
  return read.value === 'missing' ? 'missing' : 'ok';
}

describe('openConfined', () => {
  it('reads a regular file inside the workspace and reports a missing one as missing', () => {
    writeFileSync(join(root, 'run-1', 'stdout.log'), 'hello');
    const read = readConfined(root, join(root, 'run-1', 'stdout.log'), 1024);
    expect(read.ok && read.value instanceof Uint8Array && Buffer.from(read.value).toString()).toBe('hello');
    expect(verdict(join(root, 'run-1', 'nope.log'))).toBe('missing');
    expect(verdict(join(root, 'gone', 'stdout.log'))).toBe('missing');
  });

  it('refuses a symlink at the last component, even one pointing inside the workspace', () => {
    symlinkSync(join(outside, 'secret'), join(root, 'run-1', 'stdout.log'));
    writeFileSync(join(root, 'run-1', 'inside.log'), 'x');
    symlinkSync(join(root, 'run-1', 'inside.log'), join(root, 'run-1', 'stderr.log'));
    expect(verdict(join(root, 'run-1', 'stdout.log'))).toBe('RW_PATH_ESCAPE');
    expect(verdict(join(root, 'run-1', 'stderr.log'))).toBe('RW_PATH_ESCAPE');
  });

  it('refuses a run directory that is a link to a directory outside the workspace', () => {
    symlinkSync(outside, join(root, 'run-2'));
    expect(verdict(join(root, 'run-2', 'secret'))).toBe('RW_PATH_ESCAPE');
  });

  it('refuses a FIFO at once instead of blocking, and names what it is', () => {
    const fifo = join(root, 'run-1', 'exit.json');
    execFileSync('mkfifo', [fifo]);
    const opened = openConfined(root, fifo);
    expect(opened.ok).toBe(false);
    expect(!opened.ok && opened.error.message).toContain('FIFO');
    expect(openConfined(root, fifo, { access: 'append' }).ok).toBe(false);
  });

  it('refuses a directory where a file is expected and a file larger than the bound', () => {
    mkdirSync(join(root, 'run-1', 'events.ndjson'));
    expect(verdict(join(root, 'run-1', 'events.ndjson'))).toBe('RW_NOT_REGULAR');
    writeFileSync(join(root, 'run-1', 'big.log'), Buffer.alloc(2048));
    const read = readConfined(root, join(root, 'run-1', 'big.log'), 1024);
    expect(read.ok && read.value).toEqual({ tooLarge: 2048 });
  });

  it('refuses a path outside the workspace given directly', () => {
    expect(verdict(join(outside, 'secret'))).toBe('RW_PATH_ESCAPE');
  });

  it('opens for appending an existing regular file inside the workspace', () => {
    writeFileSync(join(root, 'run-1', 'events.ndjson'), '');
    const opened = openConfined(root, join(root, 'run-1', 'events.ndjson'), { access: 'append' });
    expect(opened.ok && opened.value !== 'missing').toBe(true);
    if (opened.ok && opened.value !== 'missing') closeQuietly(opened.value.fd);
  });
});
