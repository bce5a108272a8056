// Compiles rw-monitor.c once per source version into a cache directory and hands out the binary's path.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Result } from '../../../machine/ports.ts';
import { fail, ok } from './result.ts';

// Beside this module in the source tree, and beside the bundle in dist/cli/ (the build copies it).
const SOURCE_PATH = fileURLToPath(new URL('./rw-monitor.c', import.meta.url));
const SOURCE_LABEL = 'runtime/local/monitor/rw-monitor.c';
const PACKAGE_ROOT = packageRootOf(path.dirname(SOURCE_PATH));

/** The nearest directory above `dir` holding runwarden's package.json (a bounded walk up). */
function packageRootOf(dir: string): string {
  let at = dir;
  for (let depth = 0; depth < 8; depth++) {
    try {
      const manifest = JSON.parse(fs.readFileSync(path.join(at, 'package.json'), 'utf8')) as {
        name?: string;
      };
      if (manifest.name === 'runwarden') return at;
    } catch {
      // no manifest here: keep walking up
    }
    at = path.dirname(at);
  }
  return path.resolve(dir, '../../..');
}
const COMPILE_TIMEOUT_MS = 120_000;
const PROBE_TIMEOUT_MS = 10_000;
/** The monitor's exit code for bad usage: a probe run without arguments must give exactly this. */
const USAGE_EXIT_CODE = 2;

/** Where to look for and build the binary, and with which compiler; tests override these. */
export interface MonitorBuildOptions {
  /** Candidate cache directories, tried in order. Default: the package's node_modules/.cache, then XDG. */
  readonly cacheDirs?: readonly string[];
  /** The C compiler command. Default `cc`. */
  readonly compiler?: string;
}

let memo: Promise<Result<string>> | null = null;

/**
 * The path of a compiled rw-monitor for the current source. Cached per source hash on disk
 * (`rw-monitor-<sha256:12>`), so after the first build a call costs a read of the source and a
 * stat; within one process the answer is memoized. Builds go to a unique tmp name and are renamed
 * into place, so concurrent builders never see a half-written binary. Never throws: a missing
 * compiler or unwritable caches give RW_MONITOR_BUILD_FAILED.
 */
export function ensureMonitorBinary(options: MonitorBuildOptions = {}): Promise<Result<string>> {
  if (options.cacheDirs !== undefined || options.compiler !== undefined) return locateOrBuild(options);
  if (memo === null) {
    const attempt = locateOrBuild(options);
    memo = attempt;
    // Only success is remembered: a compiler installed later must be picked up by the next call.
    void attempt.then((result) => {
      if (!result.ok && memo === attempt) memo = null;
    });
  }
  return memo;
}

// Return an existing binary for this source from any cache, else build into the first writable one.
async function locateOrBuild(options: MonitorBuildOptions): Promise<Result<string>> {
  let source: Buffer;
  try {
    // The source and the headers it includes (log-cap.h, …): any change is a new binary.
    const headers = fs
      .readdirSync(path.dirname(SOURCE_PATH))
      .filter((file) => file.endsWith('.h'))
      .sort();
    source = Buffer.concat([
      fs.readFileSync(SOURCE_PATH),
      ...headers.map((file) => fs.readFileSync(path.join(path.dirname(SOURCE_PATH), file))),
    ]);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return fail(
      'RW_MONITOR_BUILD_FAILED',
      `could not read ${SOURCE_PATH} (${code}) (while locating the monitor)`,
    );
  }
  const name = `rw-monitor-${crypto.createHash('sha256').update(source).digest('hex').slice(0, 12)}`;
  const dirs = options.cacheDirs ?? defaultCacheDirs();
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    if (isExecutableFile(candidate)) return ok(candidate);
  }
  const tried: string[] = [];
  for (const dir of dirs) {
    if (!isWritableDir(dir)) {
      tried.push(dir);
      continue;
    }
    return compileInto(path.join(dir, name), options.compiler ?? 'cc');
  }
  return fail(
    'RW_MONITOR_BUILD_FAILED',
    `no writable cache directory for the monitor binary (tried ${tried.join(', ')}) (while building ${SOURCE_LABEL})`,
  );
}

// The package's own cache first (travels with node_modules), then the user's cache.
function defaultCacheDirs(): string[] {
  const xdg = process.env.XDG_CACHE_HOME;
  const userCache = xdg !== undefined && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache');
  return [path.join(PACKAGE_ROOT, 'node_modules', '.cache', 'runwarden'), path.join(userCache, 'runwarden')];
}

// True when `file` is a regular file we may execute.
function isExecutableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

// Create `dir` if needed and report whether we can write into it.
function isWritableDir(dir: string): boolean {
  try {
    makeDirs(path.resolve(dir));
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

// mkdir -p one level at a time. Not `recursive: true`: Node's loops forever when mkdir answers
// ENOENT under an existing parent (seen under /proc), and a start must never hang.
function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let at = dir; !fs.existsSync(at); at = path.dirname(at)) {
    if (at === path.dirname(at)) break;
    missing.unshift(at);
  }
  for (const each of missing) {
    try {
      fs.mkdirSync(each);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

// Compile static if that yields a working binary, else dynamic; rename the result into `target`.
async function compileInto(target: string, compiler: string): Promise<Result<string>> {
  const tmp = `${target}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  let firstFailure = '';
  for (const linkFlags of [['-static'], []]) {
    const args = ['-std=c99', '-O2', '-s', ...linkFlags, '-o', tmp, SOURCE_PATH];
    const compiled = await run(compiler, args, COMPILE_TIMEOUT_MS);
    const probed = compiled.ok ? await run(tmp, [], PROBE_TIMEOUT_MS) : compiled;
    const works = !probed.ok && probed.exitCode === USAGE_EXIT_CODE;
    if (works) {
      try {
        fs.renameSync(tmp, target);
        return ok(target);
      } catch (error) {
        firstFailure ||= `renaming ${tmp} to ${target}: ${(error as NodeJS.ErrnoException).code}`;
        break;
      }
    }
    const detail = probed.ok ? `${tmp} exited with 0 instead of ${USAGE_EXIT_CODE}` : probed.detail;
    firstFailure ||= compiled.ok ? `the built binary did not run: ${detail}` : detail;
  }
  fs.rmSync(tmp, { force: true });
  return fail(
    'RW_MONITOR_BUILD_FAILED',
    `could not compile ${SOURCE_LABEL} with ${compiler} (${firstFailure}); install a C compiler (apt-get install gcc)`,
  );
}

/** How a command ended: `ok` when it exited 0; otherwise its exit code and a one-line detail. */
type RunOutcome = { ok: true } | { ok: false; exitCode: number | null; detail: string };

// Run a command without a shell and summarise failure by the first line of its stderr.
function run(file: string, args: readonly string[], timeoutMs: number): Promise<RunOutcome> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, killSignal: 'SIGKILL' }, (error, _stdout, stderr) => {
      if (error === null) return resolve({ ok: true });
      const exitCode = typeof error.code === 'number' ? error.code : null;
      const firstLine = String(stderr)
        .split('\n')
        .find((line) => line.trim() !== '');
      const detail =
        error.code === 'ENOENT'
          ? `${file}: not found (ENOENT)`
          : typeof error.code === 'string'
            ? `${file}: ${error.code}`
            : error.signal
              ? `${file} killed by ${error.signal} after at most ${timeoutMs} ms`
              : (firstLine ?? `${file} exited with ${exitCode}`);
      resolve({ ok: false, exitCode, detail });
    });
  });
}
