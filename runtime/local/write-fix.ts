// What a user can do about a write the filesystem refused: one clause, naming the directory,
// for the one-line errors of every rename and write in the workspace.
import { statSync } from 'node:fs';

/** The owner of `dir` as `uid N`, or null when it cannot be read. */
function ownerOf(dir: string): string | null {
  try {
    return `uid ${statSync(dir).uid}`;
  } catch {
    return null;
  }
}

/**
 * `errno` explained with the fix for a write in `dir`:
 * `EACCES (permission denied): run runwarden as the owner of /ws (uid 0) or give this user write access`.
 */
export function writeFixOf(errno: string, dir: string): string {
  switch (errno) {
    case 'EACCES':
    case 'EPERM': {
      const owner = ownerOf(dir);
      const who = owner === null ? '' : ` (${owner})`;
      return `${errno} (permission denied): run runwarden as the owner of ${dir}${who} or give this user write access to it`;
    }
    case 'EROFS':
      return `EROFS (read-only file system): remount ${dir} read-write, or use a workspace on a writable disk (--workspace)`;
    case 'ENOSPC':
    case 'EDQUOT':
      return `${errno} (no space left on device): free space on the disk holding ${dir}`;
    default:
      return `${errno}; check ${dir}`;
  }
}
