// The job side of the protocol for Node: report progress, metrics and checkpoints to runwarden.
// No dependencies; a no-op outside runwarden; never throws into the training loop.
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
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
  /**
   * The job saved a checkpoint at `path` (complete: fully on disk unless `complete: false`); it
   * answers the pending checkpoint request, if any (issue 14).
   */
  checkpoint(path: string, step?: number, options?: { readonly complete?: boolean }): void;
  /**
   * Issue 14: true once per new checkpoint request (the signal arrived, or the control file has a
   * newer one): save at this step boundary. The signal handler only sets a flag.
   */
  checkpointRequested(): boolean;
  /** Issue 14: true when the request asks to checkpoint and exit: save, `ack()`, then exit. */
  shouldStop(): boolean;
  /** Issue 14: the newest request in the control file, or null. */
  checkpointRequest(): CheckpointRequestSeen | null;
  /**
   * Issue 14: save atomically: `write(tmpPath)` (or `data`), fsync, rename to `path`, fsync the
   * directory, then the `checkpoint` event. False (and an `error` event) when saving failed.
   */
  saveCheckpoint(
    path: string,
    data: string | Uint8Array | ((tmpPath: string) => void),
    step?: number,
  ): boolean;
  /** Issue 14: acknowledge the checkpoint-and-exit request (after its checkpoint event), then exit. */
  ack(): void;
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

/** Issue 14: a checkpoint request as the control file (RUNWARDEN_CHECKPOINT_FILE) holds it. */
export interface CheckpointRequestSeen {
  readonly seq: number;
  readonly reason: string;
  readonly exit: boolean;
  readonly requestedAt: number;
  readonly deadlineAt: number | null;
  readonly signal: string;
}

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

  // Issue 14: checkpoint requests: the signal handler only sets `signalled`; the loop polls.
  const controlPath = env.RUNWARDEN_CHECKPOINT_FILE;
  const signal = env.RUNWARDEN_CHECKPOINT_SIGNAL;
  let signalled = false;
  let lastLook = 0;
  let handledSeq = 0;
  let pending: CheckpointRequestSeen | null = null;
  if (
    controlPath !== undefined &&
    controlPath !== '' &&
    signal !== undefined &&
    /^SIG[A-Z0-9]+$/.test(signal)
  ) {
    try {
      process.on(signal as NodeJS.Signals, () => {
        signalled = true;
      });
    } catch {
      // a signal Node cannot listen to: polling the control file still works
    }
  }
  const readRequest = (): CheckpointRequestSeen | null => {
    if (controlPath === undefined || controlPath === '') return null;
    try {
      const value: unknown = JSON.parse(readFileSync(controlPath, 'utf8'));
      return typeof value === 'object' &&
        value !== null &&
        typeof (value as { seq?: unknown }).seq === 'number'
        ? (value as CheckpointRequestSeen)
        : null;
    } catch {
      return null;
    }
  };
  const checkpointRequested = (): boolean => {
    if (pending !== null) return true;
    if (controlPath === undefined || controlPath === '') return false;
    // The signal says at once; without it (missed, or sent before the handler) look once a second.
    const now = Date.now();
    if (!signalled && now - lastLook < 1_000) return false;
    signalled = false;
    lastLook = now;
    const request = readRequest();
    if (request === null || request.seq <= handledSeq) return false;
    pending = request;
    return true;
  };
  const checkpoint = (path: string, step?: number, options: { readonly complete?: boolean } = {}) => {
    const answered = pending;
    if (answered !== null && !answered.exit) {
      handledSeq = Math.max(handledSeq, answered.seq);
      pending = null;
    }
    emit('checkpoint', {
      path,
      ...optional('step', step),
      complete: options.complete !== false,
      ...optional('request', answered?.seq),
    });
  };

  return {
    enabled,
    checkpointRequested,
    shouldStop: () => (pending ?? readRequest())?.exit === true,
    checkpointRequest: readRequest,
    saveCheckpoint: (path, data, step) => {
      const target = resolve(path);
      const tmp = join(dirname(target), `.${basename(target)}.tmp-${process.pid}`);
      try {
        mkdirSync(dirname(target), { recursive: true });
        if (typeof data === 'function') data(tmp);
        else writeFileSync(tmp, data);
        const fd = openSync(tmp, 'r');
        try {
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        renameSync(tmp, target);
        const dirFd = openSync(dirname(target), 'r');
        try {
          fsyncSync(dirFd);
        } finally {
          closeSync(dirFd);
        }
      } catch (error) {
        rmSync(tmp, { force: true });
        emit('error', {
          message: `saving checkpoint ${path} failed: ${error instanceof Error ? error.message : String(error)}`,
        });
        return false;
      }
      checkpoint(path, step);
      return true;
    },
    ack: () => {
      const request = pending ?? readRequest();
      if (request === null) return;
      emit('ack', { request: request.seq });
      handledSeq = Math.max(handledSeq, request.seq);
      pending = null;
    },
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
    checkpoint,
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
