// Proves ensureMonitorBinary compiles rw-monitor.c once into a cache, reuses it without a compiler,
// survives concurrent builders and explains a missing compiler — by running the real cc.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureMonitorBinary } from '../../../../runtime/local/monitor/build.ts';

let cacheRoot: string;

beforeEach(() => {
  cacheRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'rw-monitor-cache-'));
});

afterEach(() => {
  fs.rmSync(cacheRoot, { recursive: true, force: true });
});

// Run the binary without arguments: a working monitor prints its usage and exits 2.
function usageExitCode(binary: string): number | null {
  try {
    execFileSync(binary, [], { stdio: 'pipe' });
    return 0;
  } catch (error) {
    return (error as { status: number | null }).status;
  }
}

describe('ensureMonitorBinary', () => {
  it('compiles into the cache dir under a name carrying the source hash, creating the dir', async () => {
    const dir = path.join(cacheRoot, 'nested', 'runwarden');
    const built = await ensureMonitorBinary({ cacheDirs: [dir] });
    if (!built.ok) throw new Error(built.error.message);
    expect(path.dirname(built.value)).toBe(dir);
    expect(path.basename(built.value)).toMatch(/^rw-monitor-[0-9a-f]{12}$/);
    expect(usageExitCode(built.value)).toBe(2);
    expect(fs.readdirSync(dir)).toEqual([path.basename(built.value)]);
  });

  it('returns a cached binary without compiling, even when no compiler exists', async () => {
    const built = await ensureMonitorBinary({ cacheDirs: [cacheRoot] });
    if (!built.ok) throw new Error(built.error.message);
    const inode = fs.statSync(built.value).ino;
    const again = await ensureMonitorBinary({ cacheDirs: [cacheRoot], compiler: 'rw-no-such-cc' });
    expect(again).toEqual({ ok: true, value: built.value });
    expect(fs.statSync(built.value).ino).toBe(inode);
  });

  it('gives eight concurrent builders the same complete binary and leaves no tmp file', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, () => ensureMonitorBinary({ cacheDirs: [cacheRoot] })),
    );
    const paths = new Set(results.map((result) => (result.ok ? result.value : result.error.message)));
    expect(paths.size).toBe(1);
    const [binary] = paths;
    expect(usageExitCode(binary ?? '')).toBe(2);
    expect(fs.readdirSync(cacheRoot)).toEqual([path.basename(binary ?? '')]);
  });

  it('falls back to the next cache dir when the first cannot be written', async () => {
    const built = await ensureMonitorBinary({ cacheDirs: ['/proc/rw-not-writable', cacheRoot] });
    expect(built.ok && path.dirname(built.value)).toBe(cacheRoot);
  });

  it('explains a missing compiler with RW_MONITOR_BUILD_FAILED and how to install one', async () => {
    const built = await ensureMonitorBinary({ cacheDirs: [cacheRoot], compiler: 'rw-no-such-cc' });
    expect(built).toEqual({
      ok: false,
      error: {
        code: 'RW_MONITOR_BUILD_FAILED',
        message:
          'could not compile runtime/local/monitor/rw-monitor.c with rw-no-such-cc ' +
          '(rw-no-such-cc: not found (ENOENT)); install a C compiler (apt-get install gcc)',
      },
    });
    expect(fs.readdirSync(cacheRoot)).toEqual([]);
  });

  it('uses the package cache by default and answers repeated calls from memory', async () => {
    const first = await ensureMonitorBinary();
    if (!first.ok) throw new Error(first.error.message);
    expect(first.value).toContain(path.join('node_modules', '.cache', 'runwarden', 'rw-monitor-'));
    expect(ensureMonitorBinary()).toBe(ensureMonitorBinary());
  });
});
