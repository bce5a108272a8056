// Proves the writers keep old content and leave no partial files when the disk fills, on a real
// 64 KiB tmpfs that a filler file leaves almost no room on (so writes come back short, then ENOSPC).
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  ftruncateSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileExclusive, writeFileAtomic } from '../../../runtime/fs/atomic-write.ts';
import { appendLine } from '../../../runtime/fs/ndjson-reader.ts';

const isRoot = process.getuid?.() === 0;
let dir = '';

/** Fills the tmpfs with `filler` until ENOSPC, then frees `roomBytes` so a little space is left. */
function fillLeaving(roomBytes: number): void {
  const fd = openSync(join(dir, 'filler'), 'w');
  const block = Buffer.alloc(4096, 0x66);
  // 64 KiB of tmpfs takes at most 16 blocks; 64 passes is a safe bound.
  for (let pass = 0; pass < 64; pass += 1) {
    try {
      if (writeSync(fd, block) < block.length) break;
    } catch {
      break;
    }
  }
  ftruncateSync(fd, Math.max(0, statSync(join(dir, 'filler')).size - roomBytes));
  closeSync(fd);
}

// Mounting a tmpfs needs root: run as another user, these tests are skipped (reason: not root).
describe.runIf(isRoot)('writing on a full disk (64 KiB tmpfs)', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rw-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]);
    writeFileSync(join(dir, 'state.json'), '{"old":true}');
    fillLeaving(8192);
  });

  afterAll(() => {
    if (dir === '') return;
    execFileSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('writeFileAtomic of more than the space left fails with RW_DISK_FULL, old file intact, no tmp', () => {
    const path = join(dir, 'state.json');
    const result = writeFileAtomic(dir, path, Buffer.alloc(32 * 1024, 0x78));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('RW_DISK_FULL');
    expect(result.error.message).toContain(`writing ${path}`);
    expect(readFileSync(path, 'utf8')).toBe('{"old":true}');
    expect(readdirSync(dir).sort()).toEqual(['filler', 'state.json']);
  });

  it('createFileExclusive on a full disk fails with RW_DISK_FULL and leaves no file behind', () => {
    const result = createFileExclusive(dir, join(dir, 'run.lock'), Buffer.alloc(32 * 1024, 0x78));
    expect(result.ok ? result.value : result.error.code).toBe('RW_DISK_FULL');
    expect(readdirSync(dir).sort()).toEqual(['filler', 'state.json']);
  });

  it('appendLine on a full disk fails with RW_DISK_FULL', () => {
    const result = appendLine(dir, join(dir, 'events.ndjson'), { pad: 'x'.repeat(32 * 1024) });
    expect(result.ok ? result.value : result.error.code).toBe('RW_DISK_FULL');
  });

  it('the same atomic write succeeds once space is freed', () => {
    unlinkSync(join(dir, 'filler'));
    rmSync(join(dir, 'events.ndjson'), { force: true });
    const path = join(dir, 'state.json');
    expect(writeFileAtomic(dir, path, Buffer.alloc(32 * 1024, 0x78))).toEqual({ ok: true, value: null });
    expect(readFileSync(path).length).toBe(32 * 1024);
    expect(readdirSync(dir)).toEqual(['state.json']);
  });
});
