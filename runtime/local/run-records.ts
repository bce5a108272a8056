// The small records of a run directory other than the lock: config snapshot and abort request.
import { mkdirSync } from 'node:fs';
import type { Result } from '../../machine/ports.ts';
import type { AbortRequest, LockRecord } from '../../machine/types.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { errnoOf, failure, success } from '../fs/fs-error.ts';
import { readJsonFile } from '../fs/read-json.ts';
import type { Layout } from './layout.ts';
import { readLock } from './lock-file.ts';

/**
 * Create the run directory, write the immutable config snapshot the job starts with and the
 * run's copy of its lock record (before the lock itself, so a lock that turns unreadable always
 * has its run on record).
 */
export function createRunDir(layout: Layout, record: LockRecord): Result<string> {
  const config = record.config;
  const dir = layout.runDir(config.runId);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
  } catch (error) {
    return failure('RW_RUN_DIR_FAILED', `creating ${dir}: ${errnoOf(error)}; check the workspace directory`);
  }
  const written = writeFileAtomic(
    layout.runFile(config.runId, 'config'),
    `${JSON.stringify(config, null, 2)}\n`,
  );
  if (!written.ok) return written;
  const copied = writeRunIdentity(layout, record);
  return copied.ok ? success(dir) : copied;
}

/** Durably write the run directory's copy of its lock record (tmp + fsync + rename + dir fsync). */
export function writeRunIdentity(layout: Layout, record: LockRecord): Result<null> {
  return writeFileAtomic(layout.runFile(record.runId, 'identity'), `${JSON.stringify(record)}\n`);
}

/** The run directory's copy of its lock record, validated like the lock; null when missing or unreadable. */
export function readRunIdentity(layout: Layout, runId: string): LockRecord | null {
  const read = readLock(layout.runFile(runId, 'identity'));
  return read.ok && read.value.state === 'ok' && read.value.value.runId === runId ? read.value.value : null;
}

const isAbortRequest = (v: unknown): v is AbortRequest =>
  typeof v === 'object' &&
  v !== null &&
  'requestedAt' in v &&
  typeof v.requestedAt === 'number' &&
  'graceMs' in v &&
  typeof v.graceMs === 'number' &&
  'forced' in v &&
  typeof v.forced === 'boolean' &&
  (!('interruptedAt' in v) || v.interruptedAt === null || typeof v.interruptedAt === 'number');

/** Durably write the grace the monitor reads on SIGUSR1 (a plain integer: C needs no JSON). */
export function writeAbortGrace(layout: Layout, runId: string, graceMs: number): Result<null> {
  return writeFileAtomic(layout.runFile(runId, 'abortGrace'), `${Math.max(0, Math.round(graceMs))}\n`);
}

/**
 * Durably write the abort record runwarden processes find (recovering ones, observers), merged
 * with the one on disk: SIGKILL asked stays asked, a recorded delivery stays recorded.
 */
export function writeAbortRequest(layout: Layout, runId: string, request: AbortRequest): Result<null> {
  const prior = readAbortRequest(layout, runId);
  const merged: AbortRequest = {
    ...request,
    forced: request.forced || prior?.forced === true,
    interruptedAt: request.interruptedAt ?? prior?.interruptedAt ?? null,
    reason: request.reason ?? prior?.reason ?? null,
  };
  return writeFileAtomic(layout.runFile(runId, 'abort'), `${JSON.stringify(merged)}\n`);
}

/** The abort request of a run, or null when none was made (or it is unreadable). */
export function readAbortRequest(layout: Layout, runId: string): AbortRequest | null {
  const read = readJsonFile(layout.runFile(runId, 'abort'), isAbortRequest);
  return read.ok && read.value.state === 'ok' ? read.value.value : null;
}
