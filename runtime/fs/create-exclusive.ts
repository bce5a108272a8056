// Exclusive creation (O_EXCL): exactly one of many concurrent creators wins; used for locks and
// records that must be written once.
import { closeSync, fstatSync, fsyncSync, lstatSync, type Stats, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Result } from '../../machine/ports.ts';
import { closeQuietly } from './cleanup.ts';
import { openConfined } from './confined.ts';
import { durableStep } from './durable-step.ts';
import { errnoOf, failure, isDiskFull, success } from './fs-error.ts';
import { fsyncDir } from './fsync-dir.ts';
import { bytesOf, writeAll } from './write-all.ts';

/** Options of `createFileExclusive`. */
export interface CreateExclusiveOptions {
  /** Permission bits of the new file (before the umask); default 0o666. */
  readonly mode?: number;
  /**
   * Fsync the directory after the create; default true. False only for a file that is made
   * durable under another name later (publishExclusive's tmp file: its link is what is synced).
   */
  readonly syncDir?: boolean;
}

/**
 * Creates `path` (inside the workspace `root`, through the confined layer: its directory must
 * resolve inside `root`, and a symlink or FIFO at `path` counts as existing) with `data` only if
 * nothing exists there: `'created'` for the one winner,
 * `'exists'` for everyone else (the existing file is never touched). The winner writes fully,
 * fsyncs the file and the directory. If the write fails, the half-written file is removed and
 * the result is `RW_DISK_FULL` or `RW_WRITE_FAILED`. Between the create and the end of the write
 * another process can see the file short or empty: readers must classify it (see read-json.ts).
 */
export function createFileExclusive(
  root: string,
  path: string,
  data: string | Uint8Array,
  opts: CreateExclusiveOptions = {},
): Result<'created' | 'exists'> {
  durableStep('create', path);
  const opened = openConfined(root, path, {
    access: 'write',
    createMode: opts.mode ?? 0o666,
    exclusive: true,
  });
  if (!opened.ok) {
    if (opened.error.code === 'RW_FILE_EXISTS') return success('exists');
    if (opened.error.code === 'RW_DISK_FULL' || opened.error.code === 'RW_PATH_ESCAPE') return opened;
    return failure('RW_WRITE_FAILED', `creating ${path}: ${opened.error.message}`);
  }
  if (opened.value === 'missing') return createFailure(path, 'ENOENT');
  let fd = opened.value.fd;
  let ours: Stats | null = null;
  try {
    ours = fstatSync(fd);
    durableStep('write', path);
    writeAll(fd, bytesOf(data), path);
    durableStep('fsync', path);
    fsyncSync(fd);
    const openFd = fd;
    fd = -1;
    closeSync(openFd);
  } catch (error) {
    if (fd >= 0) closeQuietly(fd);
    if (ours !== null) unlinkIfStillOurs(path, ours);
    return createFailure(path, errnoOf(error));
  }
  if (opts.syncDir === false) return success('created');
  const synced = fsyncDir(root, dirname(path));
  if (!synced.ok) {
    const why = `${synced.error.message}; the file exists but may not survive a crash`;
    return failure('RW_WRITE_FAILED', `creating ${path}: ${why}`);
  }
  return success('created');
}

/**
 * Removes the half-written file at `path` unless another process already moved it away and put
 * its own file there (a recoverer that quarantined our empty file): compares inodes first.
 */
function unlinkIfStillOurs(path: string, ours: Stats): void {
  try {
    const there = lstatSync(path);
    if (ours.ino === there.ino && ours.dev === there.dev) unlinkSync(path);
  } catch {
    // Gone already, or not ours: nothing of ours is left at `path`.
  }
}

/** The typed failure for a create of `path` that stopped with `errno`. */
function createFailure(path: string, errno: string): Result<'created' | 'exists'> {
  if (isDiskFull(errno)) {
    return failure('RW_DISK_FULL', `creating ${path}: no space left on device; free disk space and retry`);
  }
  return failure('RW_WRITE_FAILED', `creating ${path}: ${errno}; check the path and its permissions`);
}
