// Proves openConfined/readConfined refuse every way out of the workspace (symlinked file, symlinked
// directory, FIFO, device, directory) without blocking, and read regular files inside; real files.
import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../../runtime/fs/atomic-write.ts';
import { closeQuietly } from '../../../runtime/fs/cleanup.ts';
import {
  confinedDir,
  listConfinedDir,
  openConfined,
  openConfinedDir,
  readConfined,
} from '../../../runtime/fs/confined.ts';
import { appendLine } from '../../../runtime/fs/ndjson-append.ts';
import { publishExclusive } from '../../../runtime/fs/publish-exclusive.ts';

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

describe('writers through the confined layer', () => {
  it('creates exclusively without following a symlink planted at the name', () => {
    const target = join(root, 'run-1', 'exit.json');
    symlinkSync(join(outside, 'secret'), target);
    const opened = openConfined(root, target, { access: 'write', createMode: 0o644, exclusive: true });
    expect(opened.ok ? 'created' : opened.error.code).toBe('RW_FILE_EXISTS');
    const append = openConfined(root, target, { access: 'append', createMode: 0o644 });
    expect(append.ok ? 'opened' : append.error.code).toBe('RW_PATH_ESCAPE');
    expect(readFileSync(join(outside, 'secret'), 'utf8')).toBe('top secret');
  });

  it('checks, opens and lists a directory only inside the workspace', () => {
    symlinkSync(outside, join(root, 'history'));
    expect(confinedDir(root, join(root, 'run-1'))).toEqual({
      ok: true,
      value: realpathSync(join(root, 'run-1')),
    });
    expect(confinedDir(root, join(root, 'nope'))).toEqual({ ok: true, value: 'missing' });
    const linked = confinedDir(root, join(root, 'history'));
    expect(linked.ok ? 'ok' : linked.error.code).toBe('RW_PATH_ESCAPE');
    const listed = listConfinedDir(root, join(root, 'history'));
    expect(listed.ok ? listed.value : listed.error.code).toBe('RW_PATH_ESCAPE');
    const all = listConfinedDir(root, root);
    expect(all.ok && all.value.sort()).toEqual(['history', 'run-1']);
    const dirFd = openConfinedDir(root, join(root, 'run-1'));
    expect(dirFd.ok).toBe(true);
    if (dirFd.ok) closeQuietly(dirFd.value);
    const linkedFd = openConfinedDir(root, join(root, 'history'));
    expect(linkedFd.ok ? 'ok' : linkedFd.error.code).toBe('RW_PATH_ESCAPE');
  });

  it('refuses to write a state file into a directory that links out of the workspace', () => {
    symlinkSync(outside, join(root, 'run-2'));
    const written = writeFileAtomic(root, join(root, 'run-2', 'abort.json'), '{}');
    expect(written.ok ? 'written' : written.error.code).toBe('RW_PATH_ESCAPE');
    const published = publishExclusive(root, join(root, 'run-2', 'record.json'), '{}');
    expect(published.ok ? 'published' : published.error.code).toBe('RW_PATH_ESCAPE');
    const appended = appendLine(root, join(root, 'run-2', 'events.ndjson'), { a: 1 });
    expect(appended.ok ? 'appended' : appended.error.code).toBe('RW_PATH_ESCAPE');
    expect(readdirSync(outside).sort()).toEqual(['runs', 'secret']);
  });
});
