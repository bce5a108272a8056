// Issue 14: checkpoint requests. The supervisor asks, the job answers (docs/protocol.md):
//   RUN_DIR/checkpoint.json   the newest request {seq, reason, exit, requestedAt, deadlineAt,
//                             signal}, replaced atomically (tmp, fsync, rename) with seq + 1;
//   the checkpoint signal     (default SIGUSR1) to the job's group, identity checked;
//   RUN_DIR/checkpoint-clock  what the monitor must do on its own ("limit L B SIGNO" before the
//                             start: the time limit; "deadline EPOCH_MS" for a checkpoint-and-exit
//                             request: abort then), so no runwarden process needs to be alive;
//   the job's answer          `checkpoint` events {path, step, complete: true, request: seq} and,
//                             before exiting on an exit request, `ack` {request: seq}.
import { constants } from 'node:os';
import { join } from 'node:path';
import type { Result } from '../../machine/ports.ts';
import type {
  CheckpointFacts,
  CheckpointReason,
  CheckpointRef,
  CheckpointRequest,
  LockRecord,
  RunConfig,
} from '../../machine/types.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { failure, success } from '../fs/fs-error.ts';
import { readNdjsonBackward } from '../fs/ndjson-backward.ts';
import { readJsonFile } from '../fs/read-json.ts';
import { signalGroupIfSame } from './identity.ts';
import { jobIdentities } from './job-liveness.ts';
import type { Layout } from './layout.ts';
import { writeAbortGrace } from './run-records.ts';
import { signalIfSame } from './signal-process.ts';

/** The control file a job reads to learn what was asked (RUNWARDEN_CHECKPOINT_FILE). */
export const checkpointFile = 'checkpoint.json';
/** The monitor's instructions for the time limit and a pending request's deadline. */
export const checkpointClockFile = 'checkpoint-clock';
/** The signal a checkpoint request sends unless the run names another. */
export const defaultCheckpointSignal = 'SIGUSR1';

const reasons: readonly CheckpointReason[] = ['user', 'time-limit', 'preempt', 'queue'];

/** The control file's path for run `runId`. */
export function checkpointPath(layout: Layout, runId: string): string {
  return join(layout.runDir(runId), checkpointFile);
}

/**
 * A signal name a checkpoint request may use (`USR2` or `SIGUSR2`), normalised; RW_USAGE for
 * an unknown one or one a job cannot handle (SIGKILL, SIGSTOP) or that runwarden uses otherwise.
 */
export function checkpointSignalOf(name: string): Result<string> {
  const upper = name.trim().toUpperCase();
  const full = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  if (!(full in constants.signals))
    return failure('RW_USAGE', `unknown signal '${name}' for --checkpoint-signal: use e.g. USR1 or USR2`);
  if (['SIGKILL', 'SIGSTOP', 'SIGCONT', 'SIGINT', 'SIGCHLD'].includes(full))
    return failure(
      'RW_USAGE',
      `--checkpoint-signal cannot be ${full} (it cannot be handled or means something else): use USR1 or USR2`,
    );
  return success(full);
}

/** The signal number of a (validated) signal name. */
function signalNumber(name: string): number {
  return constants.signals[name as keyof typeof constants.signals] ?? constants.signals.SIGUSR1;
}

const isRequest = (v: unknown): v is CheckpointRequest => {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r.seq === 'number' &&
    Number.isSafeInteger(r.seq) &&
    typeof r.reason === 'string' &&
    reasons.includes(r.reason as CheckpointReason) &&
    typeof r.exit === 'boolean' &&
    typeof r.requestedAt === 'number' &&
    (r.deadlineAt === null || typeof r.deadlineAt === 'number') &&
    typeof r.signal === 'string'
  );
};

/** The newest checkpoint request of a run, or null (none made, or the file is unreadable). */
export function readCheckpointRequest(layout: Layout, runId: string): CheckpointRequest | null {
  const read = readJsonFile(layout.root, checkpointPath(layout, runId), isRequest);
  return read.ok && read.value.state === 'ok' ? read.value.value : null;
}

/** What a new request asks. */
export interface RequestSpec {
  readonly reason: CheckpointReason;
  readonly exit: boolean;
  /** For an exit request: the time the job has before the fallback abort. */
  readonly graceMs: number | null;
  readonly at: number;
}

/** Record a new request (the next sequence number) atomically in the control file. */
export function writeCheckpointRequest(
  layout: Layout,
  config: RunConfig,
  spec: RequestSpec,
): Result<CheckpointRequest> {
  const prior = readCheckpointRequest(layout, config.runId);
  const request: CheckpointRequest = {
    seq: (prior?.seq ?? 0) + 1,
    reason: spec.reason,
    exit: spec.exit,
    requestedAt: spec.at,
    deadlineAt: spec.exit ? spec.at + (spec.graceMs ?? 0) : null,
    signal: config.checkpointSignal ?? defaultCheckpointSignal,
  };
  const written = writeFileAtomic(
    layout.root,
    checkpointPath(layout, config.runId),
    `${JSON.stringify(request)}\n`,
  );
  return written.ok ? success(request) : written;
}

/**
 * The time limit for the monitor, written before the job starts: it asks for checkpoint-and-exit
 * `checkpointBeforeMs` before the limit and aborts at the limit, counted from the job's start.
 */
export function writeTimeLimitClock(layout: Layout, config: RunConfig): Result<null> {
  if (config.timeLimitMs === undefined) return success(null);
  const signo = signalNumber(config.checkpointSignal ?? defaultCheckpointSignal);
  const line = `limit ${Math.round(config.timeLimitMs)} ${Math.round(config.checkpointBeforeMs ?? 0)} ${signo}\n`;
  // The monitor's abort at the limit uses the run's grace (it reads abort-grace-ms).
  const grace = writeAbortGrace(layout, config.runId, config.graceMs);
  if (!grace.ok) return grace;
  return writeFileAtomic(layout.root, join(layout.runDir(config.runId), checkpointClockFile), line);
}

/**
 * Ask the job for a checkpoint: record the request, tell the monitor an exit request's deadline
 * (SIGALRM: it re-reads its clock and aborts at the deadline on its own), then send the
 * checkpoint signal to the job's group, identity checked. A job that is gone is not an error.
 */
export function deliverCheckpointRequest(
  layout: Layout,
  lock: LockRecord,
  spec: RequestSpec,
): Result<CheckpointRequest> {
  if (lock.job === null) return failure('RW_NO_JOB', `run ${lock.runId} has no job to ask for a checkpoint`);
  const recorded = writeCheckpointRequest(layout, lock.config, spec);
  if (!recorded.ok) return recorded;
  const request = recorded.value;
  const { identity, monitor } = jobIdentities(lock.job);
  if (request.exit && request.deadlineAt !== null && monitor !== null) {
    writeAbortGrace(layout, lock.runId, lock.config.graceMs);
    const clock = writeFileAtomic(
      layout.root,
      join(layout.runDir(lock.runId), checkpointClockFile),
      `deadline ${Math.round(request.deadlineAt)} ${signalNumber(request.signal)}\n`,
    );
    if (clock.ok) signalIfSame(monitor, 'SIGALRM');
  }
  if (identity === null) return success(request);
  const sent = signalGroupIfSame(identity, request.signal as NodeJS.Signals);
  return sent.ok ? success(request) : sent;
}

/** How many events `readCheckpointFacts` looks through from the end (a bound, not an expectation). */
const eventsLookedMax = 200_000;

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** A checkpoint event's fields as a reference; null when it is not a complete one. */
export function checkpointRefOf(record: Record<string, unknown>): CheckpointRef | null {
  if (record.kind !== 'checkpoint' || typeof record.path !== 'string' || record.path === '') return null;
  // The protocol says complete: true; older jobs' events without the field count as complete.
  if (record.complete === false) return null;
  return {
    path: record.path,
    step: isNumber(record.step) ? record.step : null,
    request: isNumber(record.request) ? record.request : null,
  };
}

/**
 * What the run directory says about checkpoints: the newest request, when the job acked it
 * (an `ack` event naming its seq; its `t`, else the request's time), and the newest complete
 * checkpoint the job reported. Read from the events file's end only when a request was made
 * (bounded); never throws.
 */
export function readCheckpointFacts(layout: Layout, runId: string): CheckpointFacts {
  const request = readCheckpointRequest(layout, runId);
  // No request was made: nothing the outcome depends on (the progress view keeps the last checkpoint).
  if (request === null) return { request, ackedAt: null, newest: null };
  let ackedAt: number | null = null;
  let newest: CheckpointRef | null = null;
  let looked = 0;
  readNdjsonBackward(layout.root, layout.runFile(runId, 'events'), (record) => {
    looked++;
    if (newest === null) newest = checkpointRefOf(record);
    // An ack answers a checkpoint-and-exit request: this one, or an earlier one that a second
    // asker (the monitor's time limit and a supervisor at the same instant) replaced.
    const answers =
      record.kind === 'ack' && typeof record.request === 'number' && record.request <= request.seq;
    if (ackedAt === null && request.exit && answers) {
      const t = typeof record.t === 'string' ? Date.parse(record.t) : Number.NaN;
      ackedAt = Number.isFinite(t) ? Math.max(t, request.requestedAt) : request.requestedAt;
    }
    const done = newest !== null && (!request.exit || ackedAt !== null);
    return !done && looked < eventsLookedMax;
  });
  return { request, ackedAt, newest };
}

/**
 * The variables a job finds its checkpoint protocol and its lineage in (docs/protocol.md):
 * the control file and signal, the lineage id (the first run's id, the same across restarts:
 * pass it to W&B `id=` / MLflow), the restart count, and the checkpoint to resume from.
 */
export function checkpointEnv(layout: Layout, config: RunConfig): Record<string, string> {
  const lineage = config.lineage;
  return {
    RUNWARDEN_CHECKPOINT_FILE: checkpointPath(layout, config.runId),
    RUNWARDEN_CHECKPOINT_SIGNAL: config.checkpointSignal ?? defaultCheckpointSignal,
    RUNWARDEN_LINEAGE_ID: lineage?.lineageId ?? config.runId,
    RUNWARDEN_RESTART_COUNT: String(lineage?.restartCount ?? 0),
    ...(lineage?.resumeFrom == null ? {} : { RUNWARDEN_RESUME_FROM: lineage.resumeFrom }),
  };
}

/** `first`, then (if it succeeded) `next`: the first failure is the result. */
export function chain<T>(first: Result<T>, next: () => Result<unknown>): Result<T> {
  if (!first.ok) return first;
  const then = next();
  return then.ok ? first : (then as Result<T>);
}
