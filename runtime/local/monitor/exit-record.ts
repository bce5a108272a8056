// Reads the exit record that rw-monitor writes atomically into a run directory.
import path from 'node:path';
import type { Result } from '../../../machine/ports.ts';
import type { ExitRecord } from '../../../machine/types.ts';
import { readConfined } from '../../fs/confined.ts';
import { fail, ok } from './result.ts';

/** The monitor's exit record: the machine's ExitRecord plus the exec error, if exec failed. */
export type MonitorExitRecord = ExitRecord & {
  /** The errno name (e.g. "ENOENT") when the program could not be exec'd; null otherwise. */
  readonly execError?: string | null;
  /**
   * How the job's descendants were contained: `cgroup` (a cgroup v2 of the run's own, killed with
   * cgroup.kill), `subreaper` (the monitor as child subreaper killed what it inherited), or null
   * in records of monitors older than this field; `none` when neither was available (only the
   * job's process group was killed: descendants that left it may survive).
   */
  readonly containment?: 'cgroup' | 'subreaper' | 'none' | null;
  /** Processes of the job's tree still alive after every kill (0 when contained), or null. */
  readonly leftovers?: number | null;
  /** The errno name that delayed writing the record (a full or read-only disk), or null. */
  readonly delayedBy?: string | null;
  /** How long the record waited for the disk, in ms, when it was delayed; null otherwise. */
  readonly delayMs?: number | null;
};

/** The file name of the exit record inside a run directory. */
export const EXIT_RECORD_FILE = 'exit.json';

const recordBytesMax = 64 * 1024;

/**
 * Read `RUN_DIR/exit.json` through the confined layer (the workspace `root`, by default the run
 * directory's parent: a run directory that links outside, a symlinked or FIFO exit.json is
 * refused at once). Missing → ok null (the job has not ended, or its monitor died). Refused or
 * unreadable → RW_EXIT_RECORD_UNREADABLE; not the expected shape → RW_EXIT_RECORD_CORRUPT; both
 * name the path. Never throws.
 */
export function readExitRecord(
  runDir: string,
  root = path.dirname(runDir),
): Result<MonitorExitRecord | null> {
  const file = path.join(runDir, EXIT_RECORD_FILE);
  const read = readConfined(root, file, recordBytesMax);
  if (!read.ok) {
    return fail(
      'RW_EXIT_RECORD_UNREADABLE',
      `exit record ${file} could not be read (${read.error.code}: ${read.error.message})`,
    );
  }
  if (read.value === 'missing') return ok(null);
  if (!(read.value instanceof Uint8Array)) {
    return fail(
      'RW_EXIT_RECORD_CORRUPT',
      `exit record ${file} is ${read.value.tooLarge} bytes, not a valid exit record; move it aside`,
    );
  }
  const text = Buffer.from(read.value).toString('utf8');
  const record = parseExitRecord(text);
  if (record === null) {
    return fail(
      'RW_EXIT_RECORD_CORRUPT',
      `exit record ${file} is not a valid exit record (while reading it)`,
    );
  }
  return ok(record);
}

// Parse the record's JSON, accepting extra fields and missing optional ones; null when invalid.
function parseExitRecord(text: string): MonitorExitRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const raw = value as Record<string, unknown>;
  const { code, signal, endedAt } = raw;
  if (!(code === null || (typeof code === 'number' && Number.isInteger(code)))) return null;
  if (!(signal === null || typeof signal === 'string')) return null;
  if (typeof endedAt !== 'number' || !Number.isFinite(endedAt)) return null;
  if (code === null && signal === null) return null;
  const execError = typeof raw.execError === 'string' ? raw.execError : null;
  const containment =
    raw.containment === 'cgroup' || raw.containment === 'subreaper' ? raw.containment : null;
  return {
    code,
    signal,
    endedAt,
    notStarted: raw.notStarted === true,
    execError,
    containment,
    leftovers: countOrNull(raw.leftovers),
    delayedBy: typeof raw.delayedBy === 'string' ? raw.delayedBy : null,
    delayMs: countOrNull(raw.delayMs),
  };
}

// A non-negative integer field, or null when absent or malformed (older records have none).
function countOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : null;
}
