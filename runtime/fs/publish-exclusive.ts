// Publishing a file exactly once with its whole content: write and fsync a tmp file, then
// hard-link it into place (link fails if the name exists), so no reader sees a partial file.

import { linkSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Result } from '../../machine/ports.ts';
import { unlinkQuietly } from './cleanup.ts';
import { createFileExclusive } from './create-exclusive.ts';
import { durableStep } from './durable-step.ts';
import { errnoOf, failure, success } from './fs-error.ts';
import { fsyncDir } from './fsync-dir.ts';
import { randomHex } from './unique.ts';

/**
 * Create `path` (inside the workspace `root`, see `createFileExclusive`) with `data` unless it exists: `'created'` for exactly one of any number of
 * concurrent publishers, `'exists'` for the others. Unlike `createFileExclusive`, the file
 * appears complete or not at all, even across a crash. Failures: RW_DISK_FULL, RW_WRITE_FAILED.
 */
export function publishExclusive(
  root: string,
  path: string,
  data: string | Uint8Array,
  mode = 0o644,
): Result<'created' | 'exists'> {
  const tmp = `${path}.new-${process.pid}-${randomHex(4)}`;
  // The tmp file's content is fsynced before the link; its directory entry need not be (one
  // directory fsync after the link makes the published name durable, the tmp name is removed).
  const written = createFileExclusive(root, tmp, data, { mode, syncDir: false });
  if (!written.ok) return written;
  try {
    durableStep('link', path);
    linkSync(tmp, path);
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === 'EEXIST') return success('exists');
    return failure(
      'RW_WRITE_FAILED',
      `publishing ${path}: ${errno}; check the directory and its permissions`,
    );
  } finally {
    durableStep('unlink', tmp);
    unlinkQuietly(tmp);
  }
  const synced = fsyncDir(root, dirname(path));
  return synced.ok ? success('created') : synced;
}
