// A run's progress checkpoint: the bounded progress state together with the byte offsets of the
// events file and the logs it covers, so a reader reads only what was appended since.
import { readSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Result } from '../../machine/ports.ts';
import { closeQuietly, unlinkQuietly } from '../fs/cleanup.ts';
import { openConfined, readConfined, withConfinedFile } from '../fs/confined.ts';
import { errnoOf, failure, success } from '../fs/fs-error.ts';
import { randomHex } from '../fs/unique.ts';
import { writeAll } from '../fs/write-all.ts';
import type { OwnPhases } from './progress-tracker.ts';
import type { ProgressState } from './run-view.ts';

/** The checkpoint's name in the run directory. A cache: deleting it only costs one full read. */
export const checkpointFile = 'progress.ckpt.json';
/** Bumped whenever the state or the positions change meaning; another version is read anew. */
export const checkpointVersion = 2;
/** Bytes of the covered range kept from its start and its end, to tell a replaced file. */
const fingerprintBytes = 64;
/** A larger checkpoint is ignored (the bounded state is far smaller). */
const checkpointBytesMax = 32 * 1024 * 1024;

/** Where a reader of one file stopped, and what the bytes before it looked like. */
export interface FilePosition {
  /** Byte offset to resume at: a line start (events) or a segment start (logs). */
  readonly offset: number;
  /** 1-based line number at `offset`. */
  readonly line: number;
  /** Hex of the first `min(64, offset)` bytes and of the 64 bytes before `offset`. */
  readonly head: string;
  readonly tail: string;
}

/** A log's position, with the unfinished bar that was already applied (see LogSource). */
export interface LogPosition extends FilePosition {
  readonly applied: { readonly startOffset: number; readonly text: string } | null;
}

/** The sizes that change what a reader makes of the same bytes. */
export interface CheckpointLimits {
  readonly lineBytesMax: number;
  readonly segmentBytesMax: number;
}

/** What is persisted: the state read from `[0, offset)` of each file. */
export interface ProgressCheckpoint {
  readonly version: typeof checkpointVersion;
  readonly limits: CheckpointLimits;
  readonly state: ProgressState;
  /** The job's own phases, which `state` mixes with the parsed bars' (see `ProgressTracker.from`). */
  readonly own: OwnPhases;
  readonly events: FilePosition;
  /** The monitor's resource samples (issue 17), read like the events file. */
  readonly resources: FilePosition;
  readonly stdout: LogPosition;
  readonly stderr: LogPosition;
}

/** A position before it is fingerprinted. */
export interface BarePosition {
  readonly offset: number;
  readonly line: number;
}

/** The files of a run directory, as a reader names them. */
export interface RunPaths {
  readonly root: string;
  readonly runDir: string;
  readonly events: string;
  readonly stdout: string;
  readonly stderr: string;
  readonly resources: string;
}

const nonFiniteKey = '$rwNonFinite';

/** JSON cannot carry NaN or ±Infinity (metric values may be either): they travel tagged. */
function replacer(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? { [nonFiniteKey]: String(value) } : value;
}

function reviver(_key: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  if (keys.length !== 1 || keys[0] !== nonFiniteKey) return value;
  return Number((value as Record<string, unknown>)[nonFiniteKey]);
}

/** The checkpoint as its file holds it (exported for tests). */
export function serializeCheckpoint(checkpoint: ProgressCheckpoint): string {
  return JSON.stringify(checkpoint, replacer);
}

/**
 * The checkpoint of `paths.runDir` when it is there, of this version and these limits, and every
 * file still holds the bytes it covers (at least `offset` bytes, the same first and last 64 of
 * them); otherwise null, and the caller reads from the start. Never throws, never writes.
 */
export function loadCheckpoint(paths: RunPaths, limits: CheckpointLimits): ProgressCheckpoint | null {
  const read = readConfined(paths.root, join(paths.runDir, checkpointFile), checkpointBytesMax);
  if (!read.ok || !(read.value instanceof Uint8Array)) return null;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(read.value).toString('utf8'), reviver);
  } catch {
    return null;
  }
  if (!isCheckpoint(value)) return null;
  if (value.limits.lineBytesMax !== limits.lineBytesMax) return null;
  if (value.limits.segmentBytesMax !== limits.segmentBytesMax) return null;
  for (const file of ['events', 'resources', 'stdout', 'stderr'] as const) {
    const now = fingerprint(paths.root, paths[file], value[file].offset);
    if (now === null || now.head !== value[file].head || now.tail !== value[file].tail) return null;
  }
  return value;
}

/**
 * Replaces the checkpoint of `paths.runDir` (a unique temporary file, then a rename: a reader
 * sees the old or the new one whole). Not fsynced: a checkpoint a crash tore is refused by its
 * shape or fingerprints and costs one full read. Fails (nothing left behind) when a file no
 * longer holds the bytes a position covers, or the directory cannot be written.
 */
export function saveCheckpoint(
  paths: RunPaths,
  limits: CheckpointLimits,
  state: ProgressState,
  own: OwnPhases,
  positions: {
    events: BarePosition;
    resources: BarePosition;
    stdout: BarePosition & Pick<LogPosition, 'applied'>;
    stderr: BarePosition & Pick<LogPosition, 'applied'>;
  },
): Result<null> {
  const printed: Partial<Record<'events' | 'resources' | 'stdout' | 'stderr', FilePosition>> = {};
  for (const file of ['events', 'resources', 'stdout', 'stderr'] as const) {
    const marks = fingerprint(paths.root, paths[file], positions[file].offset);
    if (marks === null) return failure('RW_FILE_TRUNCATED', `${paths[file]} no longer holds what was read`);
    printed[file] = { ...positions[file], ...marks };
  }
  const checkpoint = {
    version: checkpointVersion,
    limits,
    state,
    own,
    events: printed.events,
    resources: printed.resources,
    stdout: { ...printed.stdout, applied: positions.stdout.applied },
    stderr: { ...printed.stderr, applied: positions.stderr.applied },
  } as ProgressCheckpoint;
  return writeReplacing(paths.root, join(paths.runDir, checkpointFile), serializeCheckpoint(checkpoint));
}

/** The first and last 64 bytes of `[0, offset)` of a file as hex; null when it is shorter or unreadable. */
function fingerprint(root: string, path: string, offset: number): { head: string; tail: string } | null {
  if (offset === 0) return { head: '', tail: '' };
  const read = withConfinedFile(root, path, (fd, sizeBytes) => {
    if (sizeBytes < offset) return null;
    const headBytes = Math.min(fingerprintBytes, offset);
    const head = Buffer.alloc(headBytes);
    const tail = Buffer.alloc(headBytes);
    readFully(fd, head, 0);
    readFully(fd, tail, offset - headBytes);
    return { head: head.toString('hex'), tail: tail.toString('hex') };
  });
  return read.ok && read.value !== 'missing' ? read.value : null;
}

function readFully(fd: number, into: Buffer, position: number): void {
  let filled = 0;
  // Each pass reads at least one byte or throws (a short file was ruled out by its size).
  while (filled < into.length) {
    const got = readSync(fd, into, filled, into.length - filled, position + filled);
    if (got === 0) throw Object.assign(new Error('short read'), { code: 'EIO' });
    filled += got;
  }
}

/** Writes `text` to a fresh confined temporary file beside `path` and renames it over `path`. */
function writeReplacing(root: string, path: string, text: string): Result<null> {
  const tmpPath = `${path}.tmp-${process.pid}-${randomHex(6)}`;
  const opened = openConfined(root, tmpPath, { access: 'write', createMode: 0o644, exclusive: true });
  if (!opened.ok) return opened;
  if (opened.value === 'missing') return failure('RW_WRITE_FAILED', `writing ${path}: ENOENT`);
  const { fd } = opened.value;
  try {
    writeAll(fd, Buffer.from(text, 'utf8'), tmpPath);
    closeQuietly(fd);
    renameSync(tmpPath, path);
    return success(null);
  } catch (error) {
    closeQuietly(fd);
    unlinkQuietly(tmpPath);
    return failure('RW_WRITE_FAILED', `writing ${path}: ${errnoOf(error)}`);
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

function isPosition(value: unknown): value is FilePosition {
  return (
    isObject(value) &&
    isCount(value.offset) &&
    isCount(value.line) &&
    (value.line as number) >= 1 &&
    typeof value.head === 'string' &&
    typeof value.tail === 'string'
  );
}

function isLogPosition(value: unknown): value is LogPosition {
  if (!isPosition(value)) return false;
  const applied = (value as unknown as Record<string, unknown>).applied;
  return (
    applied === null ||
    (isObject(applied) && isCount(applied.startOffset) && typeof applied.text === 'string')
  );
}

/** The shape a tracker can continue from (what `ProgressTracker.from` and `apply` rely on). */
function isState(value: unknown): value is ProgressState {
  if (!isObject(value)) return false;
  const { phases, metrics, counts, skipped, lanes } = value;
  if (!Array.isArray(phases) || !phases.every((p) => typeof p === 'string')) return false;
  if (value.phase !== null && typeof value.phase !== 'string') return false;
  if (!isObject(metrics) || !Object.values(metrics).every(isSeries)) return false;
  if (!isObject(counts) || !Object.values(counts).every(isCount)) return false;
  if (!isObject(skipped) || !Array.isArray(skipped.warnings)) return false;
  if (!['total', 'events', 'stdout', 'stderr'].every((k) => isCount(skipped[k]))) return false;
  if (!isObject(lanes) || !isObject(lanes.explicit) || !isObject(lanes.parsed)) return false;
  const { explicit, parsed } = lanes;
  return Array.isArray(explicit.samples) && Array.isArray(parsed.samples) && Array.isArray(parsed.done);
}

function isSeries(value: unknown): boolean {
  return (
    isObject(value) &&
    typeof value.name === 'string' &&
    (value.source === 'explicit' || value.source === 'parsed') &&
    isCount(value.count) &&
    isCount(value.stride) &&
    Array.isArray(value.points)
  );
}

function isCheckpoint(value: unknown): value is ProgressCheckpoint {
  return (
    isObject(value) &&
    value.version === checkpointVersion &&
    isObject(value.limits) &&
    isCount(value.limits.lineBytesMax) &&
    isCount(value.limits.segmentBytesMax) &&
    isState(value.state) &&
    isObject(value.own) &&
    (value.own.phase === null || typeof value.own.phase === 'string') &&
    Array.isArray(value.own.phases) &&
    value.own.phases.every((p) => typeof p === 'string') &&
    isPosition(value.events) &&
    isPosition(value.resources) &&
    isLogPosition(value.stdout) &&
    isLogPosition(value.stderr)
  );
}
