// Run ids: `<name>-<UTC timestamp>-<short random>`, safe as a directory name and in a URL.
import { randomHex } from '../../runtime/fs/unique.ts';
import { runIdPattern } from '../../runtime/local/layout.ts';
import { RunwardenError } from './errors.ts';

/** A name as given by a user, checked: letters, digits, dot, dash, underscore; 1–64 chars. */
export function checkName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) {
    throw new RunwardenError(
      'RW_USAGE',
      `invalid run name '${name}': use 1-64 letters, digits, '.', '-' or '_', starting with a letter or digit`,
    );
  }
  return name;
}

/** A new run id for `name` at `now` (epoch ms). */
export function newRunId(name: string, now: number): string {
  const stamp = new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const id = `${checkName(name)}-${stamp}-${randomHex(2)}`;
  if (!runIdPattern.test(id)) throw new Error(`runwarden: generated an invalid run id ${id}`);
  return id;
}
