// The durable queue (issue 12): `<ws>/queue/<runId>.json` per waiting run, published whole;
// taken out by an atomic rename to `<runId>.json.claimed-<pid>-<start>-<boot8>-<rand>` (the
// claimer's identity in the name, like lock claims), so exactly one process holds an entry.
// An edit claims, publishes the new entry and removes the claim: never a rename over an entry,
// which could resurrect a claimed one and start it twice. `hold.json` pauses the queue;
// `boot` is the boot id the queue last dispatched under.
import { existsSync, linkSync, mkdirSync, readdirSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Result } from '../../machine/ports.ts';
import type { EntryClaim, QueueEntry, QueueHold } from '../../machine/queue-types.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { readConfined } from '../fs/confined.ts';
import { durableStep } from '../fs/durable-step.ts';
import { errnoOf, failure, success } from '../fs/fs-error.ts';
import { fsyncDir } from '../fs/fsync-dir.ts';
import { publishExclusive } from '../fs/publish-exclusive.ts';
import { readJsonFile } from '../fs/read-json.ts';
import { randomHex } from '../fs/unique.ts';
import type { LocalIdentity } from './identity.ts';
import { type Layout, runIdPattern } from './layout.ts';
import { writeFixOf } from './write-fix.ts';

const claimMark = '.json.claimed-';
const holdName = 'hold.json';
const bootName = 'boot';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** Whether a parsed value has the shape of a queue entry. */
export function isQueueEntry(v: unknown): v is QueueEntry {
  if (!isObject(v) || !isObject(v.needs) || !isObject(v.config)) return false;
  return (
    typeof v.runId === 'string' &&
    runIdPattern.test(v.runId) &&
    typeof v.priority === 'number' &&
    typeof v.submittedAt === 'number' &&
    typeof v.held === 'boolean' &&
    typeof v.needs.gpus === 'number' &&
    Array.isArray(v.needs.after) &&
    Array.isArray(v.needs.afterOk) &&
    v.config.runId === v.runId &&
    Array.isArray(v.config.argv)
  );
}

const isHold = (v: unknown): v is QueueHold =>
  isObject(v) && (v.reason === 'paused' || v.reason === 'reboot') && typeof v.since === 'number';

/** The path of a waiting entry. */
export function entryPath(layout: Layout, runId: string): string {
  return join(layout.queueDir, `${runId}.json`);
}

function ensureQueueDir(layout: Layout): Result<null> {
  try {
    mkdirSync(layout.queueDir, { recursive: true, mode: 0o700 });
    return success(null);
  } catch (error) {
    return failure(
      'RW_QUEUE_FAILED',
      `creating ${layout.queueDir}: ${writeFixOf(errnoOf(error), layout.root)}`,
    );
  }
}

/**
 * Publish an entry whole (tmp + fsync + exclusive link): it appears complete or not at all.
 * 0600: an entry keeps the submitter's environment. RW_CONFLICT if the run id is queued already.
 */
export function publishEntry(layout: Layout, entry: QueueEntry): Result<null> {
  const dir = ensureQueueDir(layout);
  if (!dir.ok) return dir;
  const path = entryPath(layout, entry.runId);
  const published = publishExclusive(layout.root, path, `${JSON.stringify(entry)}\n`, 0o600);
  if (!published.ok) return published;
  if (published.value === 'exists')
    return failure('RW_CONFLICT', `run ${entry.runId} is already in the queue (${path})`);
  return success(null);
}

/** A claimed entry found in the queue directory, with its claimer's identity from the name. */
export interface FoundEntryClaim {
  readonly runId: string;
  readonly name: string;
  readonly claimer: { readonly pid: number; readonly startTime: number; readonly bootPrefix: string } | null;
}

/** Everything in the queue directory, read once. */
export interface QueueListing {
  readonly entries: readonly QueueEntry[];
  readonly claimed: readonly FoundEntryClaim[];
  /** Entry files that cannot be read as entries (name and why): never started, shown to the user. */
  readonly corrupt: readonly { readonly name: string; readonly detail: string }[];
  readonly hold: QueueHold | null;
  /** The boot id the queue last dispatched under; null when never. */
  readonly boot: string | null;
}

/** Most entries one look reads (a loop bound; 1,000 waiting runs are a normal night). */
export const queueEntriesMax = 100_000;

/** Read the queue directory: entries, claims, hold and boot id. A missing queue is empty. */
export function listQueue(layout: Layout): QueueListing {
  let names: string[];
  try {
    names = readdirSync(layout.queueDir).slice(0, queueEntriesMax);
  } catch {
    return { entries: [], claimed: [], corrupt: [], hold: null, boot: null };
  }
  const entries: QueueEntry[] = [];
  const claimed: FoundEntryClaim[] = [];
  const corrupt: { name: string; detail: string }[] = [];
  let hold: QueueHold | null = null;
  let boot: string | null = null;
  for (const name of names) {
    if (name === holdName) {
      hold = readHold(layout);
      continue;
    }
    if (name === bootName) {
      boot = readBoot(layout);
      continue;
    }
    const at = name.indexOf(claimMark);
    if (at > 0) {
      claimed.push({ runId: name.slice(0, at), name, claimer: claimerOf(name.slice(at + claimMark.length)) });
      continue;
    }
    if (!name.endsWith('.json') || name.includes('.new-') || name.includes('.tmp')) continue;
    const read = readJsonFile(layout.root, join(layout.queueDir, name), isQueueEntry);
    if (read.ok && read.value.state === 'ok' && `${read.value.value.runId}.json` === name)
      entries.push(read.value.value);
    else if (read.ok && read.value.state === 'missing') continue;
    else
      corrupt.push({
        name,
        detail: read.ok
          ? read.value.state === 'corrupt'
            ? read.value.detail
            : 'its run id differs from its name'
          : read.error.message,
      });
  }
  return { entries, claimed, corrupt, hold, boot };
}

function claimerOf(rest: string): FoundEntryClaim['claimer'] {
  const m = /^(\d+)-(\d+)-([0-9a-f]{8})-/.exec(rest);
  return m ? { pid: Number(m[1]), startTime: Number(m[2]), bootPrefix: m[3] ?? '' } : null;
}

/** Whether `runId` waits in the queue or is claimed there (names only: no entry is read). */
export function isQueued(layout: Layout, runId: string): boolean {
  if (existsSync(entryPath(layout, runId))) return true;
  try {
    return readdirSync(layout.queueDir).some((n) => n.startsWith(`${runId}${claimMark}`));
  } catch {
    return false;
  }
}

/** One entry (unclaimed), or null. */
export function readEntry(layout: Layout, runId: string): QueueEntry | null {
  const read = readJsonFile(layout.root, entryPath(layout, runId), isQueueEntry);
  return read.ok && read.value.state === 'ok' ? read.value.value : null;
}

/** A claimed entry's content (by its claim name), or null when gone or unreadable. */
export function readClaimedEntry(layout: Layout, name: string): QueueEntry | null {
  if (!name.includes(claimMark)) return null;
  const read = readJsonFile(layout.root, join(layout.queueDir, name), isQueueEntry);
  return read.ok && read.value.state === 'ok' ? read.value.value : null;
}

/**
 * Take an entry out of the queue by renaming it to a claim named after `claimer`: exactly one
 * of any number of claimers gets it, the others `'gone'`.
 */
export function claimEntry(
  layout: Layout,
  runId: string,
  claimer: LocalIdentity,
): Result<EntryClaim | 'gone'> {
  if (!runIdPattern.test(runId)) return failure('RW_USAGE', `invalid run id '${runId}'`);
  const from = entryPath(layout, runId);
  const name = `${runId}${claimMark}${claimer.pid}-${claimer.startTime}-${claimer.bootId.slice(0, 8)}-${randomHex(4)}`;
  const to = join(layout.queueDir, name);
  try {
    durableStep('rename', to);
    renameSync(from, to);
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === 'ENOENT') return success('gone');
    return failure('RW_QUEUE_FAILED', `claiming ${from}: ${writeFixOf(errno, layout.root)}`);
  }
  const read = readJsonFile(layout.root, to, isQueueEntry);
  if (!read.ok || read.value.state !== 'ok') {
    // Not an entry we can start: put it back for the user to see (queue lists it as corrupt).
    restoreEntry(layout, name);
    return failure(
      'RW_QUEUE_CORRUPT',
      `${from} is not a readable queue entry; remove it with runwarden queue rm`,
    );
  }
  const synced = fsyncDir(layout.root, layout.queueDir);
  if (!synced.ok) return synced;
  return success({ runId, name, entry: read.value.value });
}

/**
 * Put a claimed entry back (a dead claimer's, or a start that found its slots taken): linked
 * back under its name, then the claim removed. An entry already back there (an edit that died
 * after publishing) wins: the claim is only removed.
 */
export function restoreEntry(layout: Layout, name: string): Result<null> {
  const at = name.indexOf(claimMark);
  if (at <= 0) return failure('RW_USAGE', `${name} is not a claimed queue entry`);
  const claim = join(layout.queueDir, name);
  const back = join(layout.queueDir, `${name.slice(0, at)}.json`);
  try {
    durableStep('link', back);
    linkSync(claim, back);
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === 'ENOENT') return success(null); // restored or dropped by someone else
    if (errno !== 'EEXIST')
      return failure('RW_QUEUE_FAILED', `restoring ${back}: ${writeFixOf(errno, layout.root)}`);
  }
  return dropEntry(layout, name);
}

/** Remove a claimed entry (its run has its history record, or a new entry replaced it). Idempotent. */
export function dropEntry(layout: Layout, name: string): Result<null> {
  const path = join(layout.queueDir, name);
  try {
    durableStep('unlink', path);
    unlinkSync(path);
  } catch (error) {
    const errno = errnoOf(error);
    if (errno !== 'ENOENT') return failure('RW_QUEUE_FAILED', `removing ${path}: ${errno}`);
  }
  return fsyncDir(layout.root, layout.queueDir);
}

/**
 * Change a waiting entry: claim it, publish `change(entry)` under its name, drop the claim.
 * `'gone'` when it is not waiting (started, removed, or being edited by someone else).
 */
export function editEntry(
  layout: Layout,
  runId: string,
  claimer: LocalIdentity,
  change: (entry: QueueEntry) => QueueEntry,
): Result<QueueEntry | 'gone'> {
  const claimed = claimEntry(layout, runId, claimer);
  if (!claimed.ok) return claimed;
  if (claimed.value === 'gone') return success('gone');
  const next = change(claimed.value.entry);
  const published = publishEntry(layout, next);
  if (!published.ok) {
    restoreEntry(layout, claimed.value.name);
    return published;
  }
  const dropped = dropEntry(layout, claimed.value.name);
  return dropped.ok ? success(next) : dropped;
}

/** The queue's hold (a user's pause or a reboot), or null. */
export function readHold(layout: Layout): QueueHold | null {
  const read = readJsonFile(layout.root, join(layout.queueDir, holdName), isHold);
  return read.ok && read.value.state === 'ok' ? read.value.value : null;
}

/**
 * Hold the queue (durably, published exclusively: an existing hold is kept with its reason and
 * time). A reboot hold (`unlessBoot`: this boot's id) is taken back at once if `queue resume`
 * recorded this boot meanwhile, so a dispatcher that read "rebooted" before a resume never holds
 * the queue again after it (resume writes the boot id first, then removes the hold).
 */
export function writeHold(layout: Layout, hold: QueueHold, unlessBoot?: string): Result<null> {
  const dir = ensureQueueDir(layout);
  if (!dir.ok) return dir;
  const published = publishExclusive(
    layout.root,
    join(layout.queueDir, holdName),
    `${JSON.stringify(hold)}\n`,
  );
  if (!published.ok) return published;
  if (published.value === 'created' && unlessBoot !== undefined && readBoot(layout) === unlessBoot)
    return removeHold(layout);
  return success(null);
}

/** Lift the hold. Idempotent. */
export function removeHold(layout: Layout): Result<null> {
  return dropEntryFile(layout, holdName);
}

function dropEntryFile(layout: Layout, name: string): Result<null> {
  const path = join(layout.queueDir, name);
  try {
    durableStep('unlink', path);
    unlinkSync(path);
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === 'ENOENT') return success(null);
    return failure('RW_QUEUE_FAILED', `removing ${path}: ${errno}`);
  }
  return fsyncDir(layout.root, layout.queueDir);
}

/** The boot id the queue last dispatched under, or null. */
export function readBoot(layout: Layout): string | null {
  const read = readConfined(layout.root, join(layout.queueDir, bootName), 256);
  if (!read.ok || read.value === 'missing' || !(read.value instanceof Uint8Array)) return null;
  const text = Buffer.from(read.value).toString('utf8').trim();
  return text === '' ? null : text;
}

/** Record the boot id the queue dispatches under. */
export function writeBoot(layout: Layout, boot: string): Result<null> {
  const dir = ensureQueueDir(layout);
  if (!dir.ok) return dir;
  return writeFileAtomic(layout.root, join(layout.queueDir, bootName), `${boot}\n`);
}
