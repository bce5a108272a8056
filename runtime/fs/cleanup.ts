// Best-effort cleanup on failure paths, where the caller's own result already says what went wrong.
import { closeSync, unlinkSync } from 'node:fs';

/** Closes `fd`, ignoring errors: the descriptor is unusable either way. */
export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Nothing to do: the failure being reported matters more than this one.
  }
}

/** Removes `path`, ignoring errors (ENOENT when it was never created). */
export function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // A leftover tmp file is harmless: its name never matches a state file.
  }
}
