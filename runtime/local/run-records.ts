// The small records of a run directory other than the lock: config snapshot and abort request.
import { mkdirSync } from 'node:fs';
import type { Result } from '../../machine/ports.ts';
import type { AbortRequest, RunConfig } from '../../machine/types.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { errnoOf, failure, success } from '../fs/fs-error.ts';
import { readJsonFile } from '../fs/read-json.ts';
import type { Layout } from './layout.ts';

/**
 * Create the run directory (0700: other local users cannot read the job's output) and write the
 * immutable config snapshot the job starts with.
 */
export function createRunDir(layout: Layout, config: RunConfig): Result<string> {
  const dir = layout.runDir(config.runId);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    return failure('RW_RUN_DIR_FAILED', `creating ${dir}: ${errnoOf(error)}; check the workspace directory`);
  }
  const written = writeFileAtomic(
    layout.root,
    layout.runFile(config.runId, 'config'),
    `${JSON.stringify(config, null, 2)}\n`,
  );
  return written.ok ? success(dir) : written;
}

const isAbortRequest = (v: unknown): v is AbortRequest =>
  typeof v === 'object' &&
  v !== null &&
  'requestedAt' in v &&
  typeof v.requestedAt === 'number' &&
  'graceMs' in v &&
  typeof v.graceMs === 'number' &&
  'forced' in v &&
  typeof v.forced === 'boolean';

/**
 * Record an abort durably: the grace for the monitor (a plain integer it reads on SIGUSR1) and
 * the request for runwarden processes that recover later.
 */
export function writeAbortRequest(layout: Layout, runId: string, request: AbortRequest): Result<null> {
  const grace = writeFileAtomic(
    layout.root,
    layout.runFile(runId, 'abortGrace'),
    `${Math.max(0, Math.round(request.graceMs))}\n`,
  );
  if (!grace.ok) return grace;
  return writeFileAtomic(layout.root, layout.runFile(runId, 'abort'), `${JSON.stringify(request)}\n`);
}

/** The abort request of a run, or null when none was made (or it is unreadable). */
export function readAbortRequest(layout: Layout, runId: string): AbortRequest | null {
  const read = readJsonFile(layout.root, layout.runFile(runId, 'abort'), isAbortRequest);
  return read.ok && read.value.state === 'ok' ? read.value.value : null;
}
