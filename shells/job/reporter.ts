// The job side of the protocol for Node: report progress, metrics and checkpoints to runwarden.
// No dependencies; a no-op outside runwarden; never throws into the training loop.
import { closeSync, openSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The path of the stdlib-only Python helper, `runwarden_reporter.py`, shipped beside this module:
 * put its directory on a Python job's `sys.path` (or copy the file into the project).
 */
export const pythonReporterPath = fileURLToPath(new URL('./runwarden_reporter.py', import.meta.url));

/** Progress fields; any further field is written as is (and kept by runwarden). */
export interface ProgressFields {
  readonly phase?: string;
  /** 0..100. */
  readonly percent?: number;
  readonly step?: number;
  readonly total?: number;
  readonly message?: string;
  readonly [field: string]: unknown;
}

/** What a job calls. Every method returns at once and never throws. */
export interface Reporter {
  /** True when running under runwarden (RUNWARDEN_EVENTS is set); false makes every call a no-op. */
  readonly enabled: boolean;
  /** Events that could not be written (unwritable file, disk full, a value JSON cannot encode). */
  readonly writeErrors: number;
  /** The last write error's message, or null. */
  readonly lastWriteError: string | null;
  progress(fields: ProgressFields): void;
  /** Enters a phase (download, prepare, train, save...): sugar for `progress({ phase })`. */
  phase(name: string, fields?: ProgressFields): void;
  /** One value of a metric; NaN and infinities are written as "NaN", "Infinity", "-Infinity". */
  metric(name: string, value: number, step?: number): void;
  checkpoint(path: string, step?: number): void;
  heartbeat(): void;
  info(message: string): void;
  error(message: string, traceback?: string): void;
  /**
   * The run's parameters (issue 17): merged into its record (later calls win; nested objects as
   * `a.b`), shown by `show`, filtered by `list --param`, compared by `compare`.
   */
  params(values: Readonly<Record<string, unknown>>): void;
  /** Closes the events file (optional: exiting closes it too). Later calls reopen it. */
  close(): void;
}

const writeAttemptsMax = 16;

/**
 * A reporter writing to the file named by RUNWARDEN_EVENTS in `env`. Each event is one JSON line
 * `{"t": <ISO time>, "kind": ..., ...}` written with one write() on an O_APPEND descriptor, so
 * it is on disk (in the page cache) when the call returns and lines never interleave. Failures
 * are counted in `writeErrors`, never thrown; the file is reopened on the next event.
 */
export function reporter(env: Readonly<Record<string, string | undefined>> = process.env): Reporter {
  const path = env.RUNWARDEN_EVENTS;
  const enabled = typeof path === 'string' && path !== '';
  let fd: number | null = null;
  let writeErrors = 0;
  let lastWriteError: string | null = null;

  // Writes one event line; on any failure, counts it and drops the descriptor.
  const emit = (kind: string, fields: Readonly<Record<string, unknown>>): void => {
    if (!enabled) return;
    try {
      const line = Buffer.from(
        `${JSON.stringify({ t: new Date().toISOString(), kind, ...fields })}\n`,
        'utf8',
      );
      fd ??= openSync(path, 'a');
      let written = 0;
      // A short write (disk nearly full) is retried a bounded number of times.
      for (let attempt = 0; attempt < writeAttemptsMax && written < line.length; attempt += 1) {
        written += writeSync(fd, line, written, line.length - written);
      }
      if (written < line.length) throw new Error(`short write: ${written} of ${line.length} bytes`);
    } catch (error) {
      writeErrors += 1;
      lastWriteError = error instanceof Error ? error.message : String(error);
      closeFd();
    }
  };
  // Closes the descriptor, ignoring errors.
  const closeFd = (): void => {
    if (fd === null) return;
    try {
      closeSync(fd);
    } catch {
      // The descriptor is gone either way.
    }
    fd = null;
  };

  return {
    enabled,
    get writeErrors() {
      return writeErrors;
    },
    get lastWriteError() {
      return lastWriteError;
    },
    progress: (fields) => emit('progress', fields),
    phase: (name, fields = {}) => emit('progress', { ...fields, phase: name }),
    metric: (name, value, step) =>
      emit('metric', { name, value: finiteOrName(value), ...optional('step', step) }),
    checkpoint: (path, step) => emit('checkpoint', { path, ...optional('step', step) }),
    heartbeat: () => emit('heartbeat', {}),
    info: (message) => emit('info', { message }),
    error: (message, traceback) => emit('error', { message, ...optional('traceback', traceback) }),
    params: (values) => emit('params', { params: values }),
    close: closeFd,
  };
}

/** A number JSON can carry, or the name of a non-finite one. */
function finiteOrName(value: number): number | string {
  if (typeof value !== 'number' || Number.isFinite(value)) return value;
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? 'Infinity' : '-Infinity';
}

/** `{ [key]: value }`, or `{}` when value is undefined. */
function optional(key: string, value: unknown): Record<string, unknown> {
  return value === undefined ? {} : { [key]: value };
}
