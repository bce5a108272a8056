// Durable replacement of a small state file: unique tmp file, full write, fsync, rename, dir fsync.

import { closeSync, fsyncSync, openSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Result } from '../../machine/ports.ts';
import { closeQuietly, unlinkQuietly } from './cleanup.ts';
import { durableStep } from './durable-step.ts';
import { errnoOf, failure, isDiskFull, success } from './fs-error.ts';
import { fsyncDir } from './fsync-dir.ts';
import { randomHex } from './unique.ts';
import { bytesOf, writeAll } from './write-all.ts';

export { createFileExclusive } from './create-exclusive.ts';
export { fsyncDir } from './fsync-dir.ts';

/** Options of `writeFileAtomic`. */
export interface AtomicWriteOptions {
  /** Permission bits of the new file (before the umask); default 0o666. */
  readonly mode?: number;
}

/**
 * Replaces `path` with `data` so that a reader (or a crash) sees either the old content or the
 * whole new content, never a mix. Writes `path.tmp-<pid>-<random>` exclusively, fully, fsyncs it,
 * renames it over `path` and fsyncs the directory. On failure the old file is untouched, the tmp
 * file is removed and the result is `RW_DISK_FULL` (ENOSPC, EDQUOT or a write that made no
 * progress) or `RW_WRITE_FAILED`. Synchronous: meant for small state files.
 */
export function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  opts: AtomicWriteOptions = {},
): Result<null> {
  const tmpPath = `${path}.tmp-${process.pid}-${randomHex(6)}`;
  let fd: number | null = null;
  try {
    durableStep('create', tmpPath);
    fd = openSync(tmpPath, 'wx', opts.mode ?? 0o666);
    durableStep('write', tmpPath);
    writeAll(fd, bytesOf(data), tmpPath);
    durableStep('fsync', tmpPath);
    fsyncSync(fd);
    const openFd = fd;
    fd = null;
    closeSync(openFd);
    durableStep('rename', path);
    renameSync(tmpPath, path);
  } catch (error) {
    if (fd !== null) closeQuietly(fd);
    unlinkQuietly(tmpPath);
    return writeFailure(path, errnoOf(error));
  }
  const synced = fsyncDir(dirname(path));
  if (!synced.ok) {
    const why = `${synced.error.message}; the new content is in place but may not survive a crash`;
    return failure('RW_WRITE_FAILED', `writing ${path}: ${why}`);
  }
  return success(null);
}

/** The typed failure for a write of `path` that stopped with `errno`. */
function writeFailure(path: string, errno: string): Result<null> {
  if (isDiskFull(errno)) {
    return failure(
      'RW_DISK_FULL',
      `writing ${path}: no space left on device; the old content is kept; free disk space and retry`,
    );
  }
  return failure(
    'RW_WRITE_FAILED',
    `writing ${path}: ${errno}; the old content is kept; check the path and its permissions`,
  );
}
