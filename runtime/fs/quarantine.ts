// Moving a corrupt file aside under a unique name, so the workspace is usable and the evidence kept.

import { renameSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Result } from '../../machine/ports.ts';
import { errnoOf, failure, success } from './fs-error.ts';
import { fsyncDir } from './fsync-dir.ts';
import { randomHex } from './unique.ts';

/**
 * Renames `path` (inside the workspace `root`; rename moves a symlink itself, never its target) to `<path>.corrupt-<UTC timestamp>-<random>` in the same directory and returns
 * the new path. The rename is atomic: of two processes quarantining the same file one wins, the
 * other gets `RW_FILE_GONE`. It moves whatever is at `path` now, so a caller racing writers must
 * claim the file (rename it to a name of its own) before judging it. Other failures are
 * `RW_QUARANTINE_FAILED`.
 */
export function quarantineFile(root: string, path: string): Result<string> {
  const stamp = new Date().toISOString().replace(/[-:.]/g, '');
  const target = `${path}.corrupt-${stamp}-${randomHex(4)}`;
  try {
    renameSync(path, target);
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === 'ENOENT') {
      return failure(
        'RW_FILE_GONE',
        `quarantining ${path}: it is gone (another process moved it); read again`,
      );
    }
    return failure('RW_QUARANTINE_FAILED', `quarantining ${path}: ${errno}; move it aside by hand`);
  }
  const synced = fsyncDir(root, dirname(path));
  if (!synced.ok) {
    return failure(
      'RW_QUARANTINE_FAILED',
      `quarantining ${path}: moved to ${target}, but ${synced.error.message}`,
    );
  }
  return success(target);
}
