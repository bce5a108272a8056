// Making a rename or a create durable: fsync the directory that holds the entry.
import { fsyncSync } from 'node:fs';
import type { Result } from '../../machine/ports.ts';
import { closeQuietly } from './cleanup.ts';
import { openConfinedDir } from './confined.ts';
import { durableStep } from './durable-step.ts';
import { errnoOf, failure, success } from './fs-error.ts';

/**
 * Flushes the directory `dir` (inside the workspace `root`, opened through the confined layer:
 * never a symlink, never outside) so entries created, renamed or removed in it survive a crash.
 * Filesystems that cannot fsync a directory (EINVAL, ENOTSUP) count as done: there is nothing
 * more to do there. Any other failure is `RW_FSYNC_FAILED`.
 */
export function fsyncDir(root: string, dir: string): Result<null> {
  durableStep('fsync-dir', dir);
  const opened = openConfinedDir(root, dir);
  if (!opened.ok) {
    return failure('RW_FSYNC_FAILED', `syncing directory ${dir}: ${opened.error.message}`);
  }
  const fd = opened.value;
  try {
    fsyncSync(fd);
    return success(null);
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === 'EINVAL' || errno === 'ENOTSUP') return success(null);
    return failure('RW_FSYNC_FAILED', `syncing directory ${dir}: ${errno}; check the disk and retry`);
  } finally {
    closeQuietly(fd);
  }
}
