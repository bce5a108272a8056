// Durable replacement of a small state file: unique tmp file, full write, fsync, rename, dir fsync.

import { closeSync, fsyncSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Result } from '../../machine/ports.ts';
import { closeQuietly, unlinkQuietly } from './cleanup.ts';
import { confinedDir, openConfined } from './confined.ts';
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
 * Replaces `path` (inside the workspace `root`) with `data` so that a reader (or a crash) sees either the old content or the
 * whole new content, never a mix. Writes `path.tmp-<pid>-<random>` exclusively, fully, fsyncs it,
 * renames it over `path` and fsyncs the directory. On failure the old file is untouched, the tmp
 * file is removed and the result is `RW_DISK_FULL` (ENOSPC, EDQUOT or a write that made no
 * progress) or `RW_WRITE_FAILED`. The directory must resolve inside `root` (a symlinked run
 * directory is RW_PATH_ESCAPE, nothing is written); the tmp file is created through the confined
 * layer (O_EXCL|O_NOFOLLOW) and the rename replaces a symlink at `path` rather than following it.
 * Synchronous: meant for small state files.
 */
export function writeFileAtomic(
  root: string,
  path: string,
  data: string | Uint8Array,
  opts: AtomicWriteOptions = {},
): Result<null> {
  const dir = confinedDir(root, dirname(path));
  if (!dir.ok) return dir;
  if (dir.value === 'missing') return writeFailure(path, 'ENOENT');
  const tmpPath = `${path}.tmp-${process.pid}-${randomHex(6)}`;
  durableStep('create', tmpPath);
  const opened = openConfined(root, tmpPath, {
    access: 'write',
    createMode: opts.mode ?? 0o666,
    exclusive: true,
  });
  if (!opened.ok)
    return opened.error.code === 'RW_DISK_FULL' ? opened : writeFailureOf(path, opened.error.message);
  if (opened.value === 'missing') return writeFailure(path, 'ENOENT');
  let fd: number | null = opened.value.fd;
  try {
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
  const synced = fsyncDir(root, dirname(path));
  if (!synced.ok) {
    const why = `${synced.error.message}; the new content is in place but may not survive a crash`;
    return failure('RW_WRITE_FAILED', `writing ${path}: ${why}`);
  }
  return success(null);
}

/** The typed failure for a write of `path` the confined layer refused (`why` names the cause). */
function writeFailureOf(path: string, why: string): Result<null> {
  return failure('RW_WRITE_FAILED', `writing ${path}: ${why}; the old content is kept`);
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
