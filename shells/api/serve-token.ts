// The token of `runwarden serve` kept in the workspace (`<workspace>/.serve-token`, mode 0600,
// in a workspace directory of mode 0700 when runwarden creates it): generated on the first serve,
// reused by later ones, and read by tools on the same machine that talk to the server. Only the
// user who owns it can read it; a token file others can read is refused, not used.
import { randomBytes } from 'node:crypto';
import { fstatSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { closeQuietly } from '../../runtime/fs/cleanup.ts';
import { openConfined, readUpTo } from '../../runtime/fs/confined.ts';
import { createFileExclusive } from '../../runtime/fs/create-exclusive.ts';
import { errnoOf } from '../../runtime/fs/fs-error.ts';
import { RunwardenError } from './errors.ts';

/** The token file's name in the workspace (a dot first: never a run id). */
export const serveTokenFile = '.serve-token';

/** Where the serve token of `workspace` is kept. */
export function serveTokenPath(workspace: string): string {
  return join(resolve(workspace), serveTokenFile);
}

/** The token kept for `workspace`, or null when there is none yet. Throws RW_USAGE for an unsafe file. */
export function readServeToken(workspace: string): string | null {
  const path = serveTokenPath(workspace);
  const opened = openConfined(resolve(workspace), path);
  if (!opened.ok) throw new RunwardenError('RW_USAGE', `the serve token file: ${opened.error.message}`);
  if (opened.value === 'missing') return null;
  const { fd, sizeBytes } = opened.value;
  try {
    const stat = fstatSync(fd);
    if ((stat.mode & 0o077) !== 0 || (process.getuid !== undefined && stat.uid !== process.getuid())) {
      const mode = (stat.mode & 0o777).toString(8);
      throw new RunwardenError(
        'RW_USAGE',
        `the serve token file ${path} has mode ${mode} or another owner; delete it (serve makes a new one)`,
      );
    }
    const token = Buffer.from(readUpTo(fd, Math.min(sizeBytes, 4096), 0))
      .toString('utf8')
      .trim();
    return token.length >= 16 ? token : null;
  } finally {
    closeQuietly(fd);
  }
}

/** The token of `workspace`: the kept one, or a new random one written 0600 (`created` true). */
export function ensureServeToken(workspace: string): { token: string; path: string; created: boolean } {
  const path = serveTokenPath(workspace);
  try {
    mkdirSync(resolve(workspace), { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new RunwardenError(
      'RW_USAGE',
      `creating the workspace ${workspace}: ${errnoOf(error)}; check the path`,
    );
  }
  const kept = readServeToken(workspace);
  if (kept !== null) return { token: kept, path, created: false };
  const token = randomBytes(32).toString('base64url');
  const made = createFileExclusive(resolve(workspace), path, `${token}\n`, { mode: 0o600 });
  if (!made.ok) throw new RunwardenError('RW_USAGE', `writing the serve token: ${made.error.message}`);
  if (made.value === 'exists') {
    // Another serve created it (or a short file was there): use what is there now.
    const raced = readServeToken(workspace);
    if (raced === null) {
      throw new RunwardenError('RW_USAGE', `the serve token file ${path} is empty or too short; delete it`);
    }
    return { token: raced, path, created: false };
  }
  return { token, path, created: true };
}
