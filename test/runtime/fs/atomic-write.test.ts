// Proves writeFileAtomic replaces content whole or not at all, on real files in a fresh temp dir,
// including a rename refused by the kernel (sticky directory, another uid via setpriv).
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fsyncDir, writeFileAtomic } from '../../../runtime/fs/atomic-write.ts';
import { endNodeChildren, moduleUrl, startNodeChild } from './node-child.ts';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rw-atomic-'));
});

afterEach(async () => {
  await endNodeChildren();
  rmSync(dir, { recursive: true, force: true });
});

/** True when `setpriv` can be run (to act as another uid). */
function hasSetpriv(): boolean {
  try {
    execFileSync('setpriv', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const asRootWithSetpriv = process.getuid?.() === 0 && hasSetpriv();

describe('writeFileAtomic', () => {
  it('creates a file that did not exist and leaves no tmp file', () => {
    const path = join(dir, 'state.json');
    expect(writeFileAtomic(dir, path, '{"a":1}')).toEqual({ ok: true, value: null });
    expect(readFileSync(path, 'utf8')).toBe('{"a":1}');
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('replaces the whole content of an existing file, bytes and strings alike', () => {
    const path = join(dir, 'state.json');
    writeFileSync(path, 'old content that is longer than the new one');
    expect(writeFileAtomic(dir, path, 'new').ok).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe('new');
    expect(writeFileAtomic(dir, path, new Uint8Array([0x68, 0x69])).ok).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe('hi');
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('applies the requested mode to the new file', () => {
    const path = join(dir, 'secret.json');
    expect(writeFileAtomic(dir, path, '{}', { mode: 0o600 }).ok).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('fails with RW_WRITE_FAILED naming the path when the rename fails, and leaves no tmp file', () => {
    const path = join(dir, 'state.json');
    mkdirSync(path);
    writeFileSync(join(path, 'inside'), 'kept');
    const result = writeFileAtomic(dir, path, 'new');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('RW_WRITE_FAILED');
    expect(result.error.message).toContain(`writing ${path}`);
    expect(result.error.message).toContain('EISDIR');
    expect(readFileSync(join(path, 'inside'), 'utf8')).toBe('kept');
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('fails with RW_WRITE_FAILED when the directory does not exist', () => {
    const result = writeFileAtomic(dir, join(dir, 'missing', 'state.json'), 'x');
    expect(result.ok ? null : result.error.code).toBe('RW_WRITE_FAILED');
  });

  // Root ignores permission bits, so the refused rename is made by a child running as uid 65534.
  // Skipped unless root with setpriv: only root can switch uid to build this situation.
  it.runIf(asRootWithSetpriv)(
    'keeps the old file and removes its tmp file when the kernel refuses the rename',
    async () => {
      // A sticky, world-writable directory: anyone may create files, only the owner may replace them.
      chmodSync(dir, 0o1777);
      const path = join(dir, 'state.json');
      writeFileSync(path, 'old, owned by root', { mode: 0o644 });
      const code = `
        import { writeFileAtomic } from '${moduleUrl('runtime/fs/atomic-write.ts')}';
        console.log(JSON.stringify(writeFileAtomic(process.env.TARGET.slice(0, process.env.TARGET.lastIndexOf("/")), process.env.TARGET, 'new from uid 65534')));`;
      const child = startNodeChild(code, { env: { TARGET: path }, uid: 65534 });
      expect(await child.exited).toBe(0);
      expect(JSON.parse(child.lines[0] ?? 'null')).toEqual({
        ok: false,
        error: { code: 'RW_WRITE_FAILED', message: expect.stringContaining(`writing ${path}: EPERM`) },
      });
      expect(readFileSync(path, 'utf8')).toBe('old, owned by root');
      expect(readdirSync(dir)).toEqual(['state.json']);
    },
  );
});

describe('fsyncDir', () => {
  it('syncs an existing directory and reports a missing one as RW_FSYNC_FAILED with its path', () => {
    expect(fsyncDir(dir, dir)).toEqual({ ok: true, value: null });
    const missing = fsyncDir(dir, join(dir, 'nope'));
    expect(missing.ok).toBe(false);
    if (missing.ok) return;
    expect(missing.error.code).toBe('RW_FSYNC_FAILED');
    expect(missing.error.message).toContain(join(dir, 'nope'));
  });
});
