// Appending one NDJSON line so that concurrent appenders never interleave within a line.
import { closeSync, fsyncSync } from 'node:fs';
import type { Result } from '../../machine/ports.ts';
import { closeQuietly } from './cleanup.ts';
import { openConfined } from './confined.ts';
import { durableStep } from './durable-step.ts';
import { errnoOf, failure, isDiskFull, success } from './fs-error.ts';
import { writeAll } from './write-all.ts';

/** Options of `appendLine`. */
export interface AppendLineOptions {
  /** fsync after the write (for records that must survive a crash, like the lifecycle log). */
  readonly fsync?: boolean;
}

/**
 * Appends `JSON.stringify(value) + '\n'` to `path` (inside the workspace `root`, opened through
 * the confined layer: never through a symlink, never into a FIFO; created if missing) with one write on an
 * O_APPEND descriptor: the kernel places each such write whole at the end, so lines from
 * concurrent appenders never mix. Only a disk that fills mid-line can leave a torn line (the
 * reader reports it); that is `RW_DISK_FULL`. A value JSON cannot encode (a cycle, a BigInt,
 * `undefined`) is `RW_NOT_SERIALIZABLE`; other failures are `RW_WRITE_FAILED`.
 */
export function appendLine(
  root: string,
  path: string,
  value: unknown,
  opts: AppendLineOptions = {},
): Result<null> {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return failure('RW_NOT_SERIALIZABLE', `appending to ${path}: the value cannot be JSON: ${why}`);
  }
  if (text === undefined) {
    return failure('RW_NOT_SERIALIZABLE', `appending to ${path}: the value cannot be JSON (${typeof value})`);
  }
  const bytes = Buffer.from(`${text}\n`, 'utf8');
  durableStep('append', path);
  const opened = openConfined(root, path, { access: 'append', createMode: 0o666 });
  if (!opened.ok) {
    if (opened.error.code === 'RW_DISK_FULL' || opened.error.code === 'RW_PATH_ESCAPE') return opened;
    return failure('RW_WRITE_FAILED', `appending to ${path}: ${opened.error.message}`);
  }
  if (opened.value === 'missing') {
    return failure(
      'RW_WRITE_FAILED',
      `appending to ${path}: ENOENT (its directory is missing); check the path`,
    );
  }
  let fd: number | null = opened.value.fd;
  try {
    writeAll(fd, bytes, path);
    if (opts.fsync === true) {
      durableStep('fsync', path);
      fsyncSync(fd);
    }
    const openFd = fd;
    fd = null;
    closeSync(openFd);
    return success(null);
  } catch (error) {
    if (fd !== null) closeQuietly(fd);
    const errno = errnoOf(error);
    if (isDiskFull(errno)) {
      return failure('RW_DISK_FULL', `appending to ${path}: no space left on device; free disk space`);
    }
    return failure('RW_WRITE_FAILED', `appending to ${path}: ${errno}; check the path and its permissions`);
  }
}
