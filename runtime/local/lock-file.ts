// The workspace lock: created exclusively with its full content (link of a finished tmp file),
// updated only by its owner, claimed by an atomic rename, released by unlinking the claim.

import { linkSync, readdirSync, renameSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Result } from '../../machine/ports.ts';
import type { ClaimRef, LockRecord, LockSource } from '../../machine/types.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { durableStep } from '../fs/durable-step.ts';
import { errnoOf, failure, success } from '../fs/fs-error.ts';
import { fsyncDir } from '../fs/fsync-dir.ts';
import { publishExclusive } from '../fs/publish-exclusive.ts';
import { type JsonFileState, readJsonFile } from '../fs/read-json.ts';
import { randomHex } from '../fs/unique.ts';
import type { LocalIdentity } from './identity.ts';
import type { Layout } from './layout.ts';
import { lockIdentityProblem } from './lock-identity.ts';
import { writeFixOf } from './write-fix.ts';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** Whether a parsed JSON value has the shape of a lock record. */
export function isLockRecord(v: unknown): v is LockRecord {
  if (!isObject(v) || !isObject(v.owner) || !isObject(v.config)) return false;
  const jobOk = v.job === null || (isObject(v.job) && typeof v.job.kind === 'string');
  return (
    typeof v.runId === 'string' &&
    typeof v.nonce === 'string' &&
    typeof v.createdAt === 'number' &&
    typeof v.owner.kind === 'string' &&
    jobOk &&
    Array.isArray(v.config.argv)
  );
}

/**
 * Read a lock or claim file (or a run directory's copy of one): missing, ok, or corrupt with
 * the reason. Locks and claims live directly in the workspace, so its directory is the
 * confinement root (a symlink or FIFO there is refused). A record naming an invalid identity (pid 0, -1, 1.5, "12") is corrupt too.
 */
export function readLock(path: string): Result<JsonFileState<LockRecord>> {
  const read = readJsonFile(dirname(path), path, isLockRecord);
  if (!read.ok || read.value.state !== 'ok') return read;
  const problem = lockIdentityProblem(read.value.value as unknown as Record<string, unknown>);
  return problem === null ? read : success({ state: 'corrupt', detail: `invalid identity: ${problem}` });
}

const serialize = (record: LockRecord) => `${JSON.stringify(record)}\n`;
const unique = () => randomHex(4);

/**
 * Create the workspace lock holding `record`, or report that one exists. The lock appears with
 * its whole content or not at all (publishExclusive), so no reader sees a half-written lock.
 */
export function createLock(layout: Layout, record: LockRecord): Result<'created' | 'exists'> {
  return publishExclusive(layout.root, layout.lock, serialize(record));
}

/** Replace the lock's content; refuses unless the lock on disk is still the one with `nonce`. */
export function updateLock(layout: Layout, record: LockRecord): Result<LockRecord> {
  const current = readLock(layout.lock);
  if (!current.ok) return current;
  if (current.value.state === 'corrupt') {
    return failure(
      'RW_LOCK_UNREADABLE',
      `updating ${layout.lock}: it became unreadable (${current.value.detail}) during the start of ${record.runId}`,
    );
  }
  if (current.value.state !== 'ok' || current.value.value.nonce !== record.nonce) {
    return failure(
      'RW_LOCK_LOST',
      `updating ${layout.lock}: the lock is no longer this run's (${record.runId})`,
    );
  }
  const written = writeFileAtomic(layout.root, layout.lock, serialize(record), { mode: 0o644 });
  return written.ok ? success(record) : written;
}

/** The name a claim by `claimer` gets: it carries the claimer's identity so others can probe it. */
function claimName(layout: Layout, claimer: LocalIdentity): string {
  return `${layout.claimPrefix}${claimer.pid}-${claimer.startTime}-${claimer.bootId.slice(0, 8)}-${unique()}`;
}

/** The path of a lock source: the active lock or a named claim. */
export function sourcePath(layout: Layout, source: LockSource): string {
  return source.kind === 'active' ? layout.lock : join(layout.lockDir, source.name);
}

/**
 * Take the lock (or a stale claim) out of the way by renaming it to a claim of ours. Exactly
 * one of several claimers wins: the others find the file gone (`RW_CLAIM_LOST`). If the file we
 * renamed is a newer lock than `record` (the run ended and another started), it is put back.
 * A source known to be unreadable (the record came from the run directory) is claimed as such
 * when what was renamed is still unreadable.
 */
export function claimLock(
  layout: Layout,
  source: LockSource,
  record: LockRecord,
  claimer: LocalIdentity,
): Result<ClaimRef> {
  const from = sourcePath(layout, source);
  const name = claimName(layout, claimer);
  const to = join(layout.lockDir, name);
  try {
    durableStep('rename', to);
    renameSync(from, to);
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === 'ENOENT')
      return failure('RW_CLAIM_LOST', `claiming ${from}: another process claimed it first`);
    return failure('RW_CLAIM_FAILED', `claiming ${from}: ${writeFixOf(errno, layout.root)}`);
  }
  const claimed = readLock(to);
  if (claimed.ok && claimed.value.state === 'ok' && claimed.value.value.nonce === record.nonce) {
    return success({ name, record: claimed.value.value });
  }
  if (claimed.ok && claimed.value.state === 'corrupt' && source.unreadable !== undefined) {
    return success({ name, record, unreadable: source.unreadable });
  }
  return restore(to, from);
}

/** Put back a lock claimed by mistake (link fails rather than overwrite a lock made meanwhile). */
function restore(claimPath: string, lockPath: string): Result<ClaimRef> {
  try {
    durableStep('link', lockPath);
    linkSync(claimPath, lockPath);
    durableStep('unlink', claimPath);
    unlinkSync(claimPath);
  } catch (error) {
    return failure('RW_CLAIM_FAILED', `restoring ${lockPath} from ${claimPath}: ${errnoOf(error)}`);
  }
  return failure('RW_CLAIM_LOST', `claiming ${lockPath}: it belongs to a newer run; left in place`);
}

/**
 * Remove a claim: the last step of a run. Idempotent. An unreadable claim (the run was found in
 * its run directory) is kept as evidence: moved aside as `active.lock.corrupt-…`, not deleted.
 */
export function releaseClaim(layout: Layout, claim: ClaimRef): Result<null> {
  const path = join(layout.lockDir, claim.name);
  try {
    if (claim.unreadable === undefined) {
      durableStep('unlink', path);
      unlinkSync(path);
    } else {
      const to = `${layout.lock}.corrupt-${new Date().toISOString().replace(/[-:.]/g, '')}-${unique()}`;
      durableStep('rename', to);
      renameSync(path, to);
    }
  } catch (error) {
    const errno = errnoOf(error);
    if (errno !== 'ENOENT') return failure('RW_RELEASE_FAILED', `removing ${path}: ${errno}`);
  }
  const synced = fsyncDir(layout.root, layout.lockDir);
  return synced.ok ? success(null) : synced;
}

/** A claim found in the workspace, with the claimer's identity parsed from its name. */
export interface FoundClaim {
  readonly name: string;
  readonly claimer: { readonly pid: number; readonly startTime: number; readonly bootPrefix: string } | null;
}

/** The claims present in the workspace (normally none; one while a run is being finalised). */
export function listClaims(layout: Layout): FoundClaim[] {
  let names: string[];
  try {
    names = readdirSync(layout.lockDir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(layout.claimPrefix) && !n.includes('.corrupt-') && !n.includes('.tmp-'))
    .sort()
    .map((name) => {
      const m = /^(\d+)-(\d+)-([0-9a-f]{8})-/.exec(basename(name).slice(layout.claimPrefix.length));
      const claimer = m ? { pid: Number(m[1]), startTime: Number(m[2]), bootPrefix: m[3] ?? '' } : null;
      return { name, claimer };
    });
}

/**
 * Move an unreadable lock or claim aside (`active.lock.corrupt-<time>-<rand>`, never read as a
 * lock or claim again) and return where it went. If what was moved turns out readable
 * (another process replaced it meanwhile), it is put back and `RW_QUARANTINE_LOST` returned.
 */
export function quarantineLock(layout: Layout, source: LockSource): Result<{ movedTo: string }> {
  const from = sourcePath(layout, source);
  const stamp = new Date().toISOString().replace(/[-:.]/g, '');
  const to = `${layout.lock}.corrupt-${stamp}-${unique()}`;
  try {
    durableStep('rename', to);
    renameSync(from, to);
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === 'ENOENT') return failure('RW_QUARANTINE_LOST', `moving ${from} aside: it is gone already`);
    return failure('RW_QUARANTINE_FAILED', `moving ${from} aside: ${writeFixOf(errno, layout.root)}`);
  }
  const moved = readLock(to);
  if (moved.ok && moved.value.state === 'ok') {
    const back = restore(to, from);
    return back.ok ? failure('RW_QUARANTINE_LOST', `${from} became readable`) : back;
  }
  const synced = fsyncDir(layout.root, layout.lockDir);
  return synced.ok ? success({ movedTo: to }) : synced;
}
