// Proves ensureMonitorBinary compiles rw-monitor.c once into a cache, reuses it without a compiler,
// survives concurrent builders and explains a missing compiler — by running the real cc; and that
// its stamp (sources' metadata -> binary) is kept beside the binary, while any change to any .c/.h
// in the source directory (other helpers add headers) gives a new binary.
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

/** The cache dir's entries without the stamps. */
function binariesIn(dir: string): string[] {
  return fs.readdirSync(dir).filter((name) => !name.endsWith('.stamp'));
}

const monitorDir = path.resolve(import.meta.dirname, '../../../../runtime/local/monitor');

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
    expect(binariesIn(dir)).toEqual([path.basename(built.value)]);
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
    expect(binariesIn(cacheRoot)).toEqual([path.basename(binary ?? '')]);
    expect(fs.readdirSync(cacheRoot).filter((name) => name.includes('.tmp-'))).toEqual([]);
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

  it('keeps a stamp beside the binary and builds anew when any .c or .h of the sources changes', async () => {
    const sourceDir = fs.mkdtempSync(path.join(cacheRoot, 'src-'));
    const cacheDir = path.join(cacheRoot, 'cache');
    fs.copyFileSync(path.join(monitorDir, 'rw-monitor.c'), path.join(sourceDir, 'rw-monitor.c'));
    for (const name of fs.readdirSync(monitorDir).filter((n) => n.endsWith('.h')))
      fs.copyFileSync(path.join(monitorDir, name), path.join(sourceDir, name));
    const first = await ensureMonitorBinary({ cacheDirs: [cacheDir], sourceDir });
    if (!first.ok) throw new Error(first.error.message);
    const stamps = fs.readdirSync(cacheDir).filter((name) => name.endsWith('.stamp'));
    expect(stamps).toHaveLength(1);
    const [stampKey, stampName] = fs.readFileSync(path.join(cacheDir, stamps[0] ?? ''), 'utf8').split('\n');
    expect(stampName).toBe(path.basename(first.value));
    expect(stampKey).toContain('rw-monitor.c:');
    // The stamp answers without a compiler.
    const again = await ensureMonitorBinary({ cacheDirs: [cacheDir], sourceDir, compiler: 'rw-no-such-cc' });
    expect(again).toEqual(first);
    // A new header (another helper's) changes the sources: a new binary, not the stamped one.
    fs.writeFileSync(
      path.join(sourceDir, 'rw-extra.h'),
      '/* a header rw-monitor.c does not include yet */\n',
    );
    const withHeader = await ensureMonitorBinary({ cacheDirs: [cacheDir], sourceDir });
    if (!withHeader.ok) throw new Error(withHeader.error.message);
    expect(withHeader.value).not.toBe(first.value);
    expect(usageExitCode(withHeader.value)).toBe(2);
    // An edit that keeps the size still changes mtime/ctime: hashed again, so the same bytes map back.
    fs.writeFileSync(
      path.join(sourceDir, 'rw-extra.h'),
      '/* a header rw-monitor.c does not include yet */\n',
    );
    const rewritten = await ensureMonitorBinary({
      cacheDirs: [cacheDir],
      sourceDir,
      compiler: 'rw-no-such-cc',
    });
    expect(rewritten).toEqual(withHeader);
    fs.writeFileSync(
      path.join(sourceDir, 'rw-extra.h'),
      '/* a header rw-monitor.c does not include YET */\n',
    );
    const edited = await ensureMonitorBinary({ cacheDirs: [cacheDir], sourceDir, compiler: 'rw-no-such-cc' });
    expect(edited.ok).toBe(false);
  });

  it('ignores a torn or foreign stamp', async () => {
    const built = await ensureMonitorBinary({ cacheDirs: [cacheRoot] });
    if (!built.ok) throw new Error(built.error.message);
    const [stamp] = fs.readdirSync(cacheRoot).filter((name) => name.endsWith('.stamp'));
    const stampFile = path.join(cacheRoot, stamp ?? '');
    const [key] = fs.readFileSync(stampFile, 'utf8').split('\n');
    fs.writeFileSync(stampFile, `${key}\n../../bin/sh\n`);
    expect(await ensureMonitorBinary({ cacheDirs: [cacheRoot], compiler: 'rw-no-such-cc' })).toEqual(built);
    fs.writeFileSync(stampFile, `${key}\nrw-monitor-`);
    expect(await ensureMonitorBinary({ cacheDirs: [cacheRoot], compiler: 'rw-no-such-cc' })).toEqual(built);
  });

  it('uses the package cache by default and answers repeated calls from memory', async () => {
    const first = await ensureMonitorBinary();
    if (!first.ok) throw new Error(first.error.message);
    expect(first.value).toContain(path.join('node_modules', '.cache', 'runwarden', 'rw-monitor-'));
    expect(ensureMonitorBinary()).toBe(ensureMonitorBinary());
  });
});
