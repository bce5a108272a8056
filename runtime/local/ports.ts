// The local runtime: every port of the machine implemented on one Linux machine (files in a
// workspace directory, jobs under rw-monitor, identities from /proc).

import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { fromCallback, fromPromise } from 'xstate';
import type {
  AcquireInput,
  ClaimInput,
  HistoryInput,
  Result,
  RetentionInput,
  SignalInput,
  SpawnOutput,
  unprovidedPorts,
} from '../../machine/ports.ts';
import type { LockRecord } from '../../machine/types.ts';
import { durableStep } from '../fs/durable-step.ts';
import { errnoOf, failure, success } from '../fs/fs-error.ts';
import { failpoint } from './failpoint.ts';
import { recordHistory } from './history-store.ts';
import { identityOf, signalGroupIfSame } from './identity.ts';
import { inspectWorkspace } from './inspect.ts';
import { jobIdentities } from './job-liveness.ts';
import { watchJob } from './job-watcher.ts';
import { type Layout, layoutOf } from './layout.ts';
import { claimLock, createLock, quarantineLock, readLock, releaseClaim, updateLock } from './lock-file.ts';
import { selfIdentity, selfOwner } from './owner.ts';
import { createRunDir, writeAbortRequest } from './run-records.ts';
import { signalIfSame } from './signal-process.ts';
import { watchWorkspace } from './workspace-watcher.ts';

export interface LocalRuntimeOptions {
  /** The workspace directory (created on first start). */
  readonly workspace: string;
  /** Wall clock in epoch ms; tests may pass their own. */
  readonly now?: () => number;
  /** Poll period of a watched job (default 100 ms; the exit record is also watched by inotify). */
  readonly pollMs?: number;
  /** Bound on every wait for the monitor while starting (default 10 s). */
  readonly spawnTimeoutMs?: number;
}

type Ports = typeof unprovidedPorts;

/** Who holds the lock, for the conflict message. */
function holderOf(layout: Layout): string {
  const read = readLock(layout.lock);
  return read.ok && read.value.state === 'ok' ? read.value.value.runId : 'another run';
}

function acquire(layout: Layout, { config, at }: AcquireInput): Result<LockRecord> {
  const record: LockRecord = {
    runId: config.runId,
    nonce: `${process.pid}-${at}-${Math.random().toString(36).slice(2, 10)}`,
    createdAt: at,
    owner: selfOwner(),
    job: null,
    startedAt: null,
    config,
  };
  try {
    mkdirSync(layout.root, { recursive: true });
  } catch (error) {
    return failure(
      'RW_WORKSPACE_FAILED',
      `creating the workspace ${layout.root}: ${errnoOf(error)}; check the path`,
    );
  }
  const made = createLock(layout, record);
  if (!made.ok) return made;
  if (made.value === 'exists') {
    const holder = holderOf(layout);
    return failure(
      'RW_CONFLICT',
      `run ${holder} is already active; watch it with 'runwarden watch' or stop it with 'runwarden abort'`,
    );
  }
  const dir = createRunDir(layout, config);
  if (!dir.ok) return dir;
  failpoint('after-lock');
  return success(record);
}

async function spawn(
  layout: Layout,
  options: Required<LocalRuntimeOptions>,
  lock: LockRecord,
  signal: AbortSignal,
): Promise<Result<SpawnOutput>> {
  const { config, runId } = { config: lock.config, runId: lock.runId };
  // Loaded on first use: status and list never spawn, and child_process costs startup time.
  const { launchMonitored } = await import('./monitor/launch.ts');
  const launched = await launchMonitored({
    runDir: layout.runDir(runId),
    argv: config.argv,
    cwd: config.cwd,
    env: {
      ...config.env,
      RUNWARDEN_RUN_ID: runId,
      RUNWARDEN_RUN_DIR: layout.runDir(runId),
      RUNWARDEN_EVENTS: layout.runFile(runId, 'events'),
    },
    stdoutPath: layout.runFile(runId, 'stdout'),
    stderrPath: layout.runFile(runId, 'stderr'),
    startTimeoutMs: options.spawnTimeoutMs,
  });
  if (!launched.ok) return launched;
  const job = identityOf(launched.value.pid);
  const monitor = identityOf(launched.value.monitorPid);
  if (job === null || monitor === null) {
    launched.value.cancel();
    return failure('RW_SPAWN_FAILED', `the job of ${runId} vanished before it was recorded`);
  }
  const handle = { ...job, monitorPid: monitor.pid, monitorStartTime: monitor.startTime };
  const at = options.now();
  const updated = updateLock(layout, { ...lock, job: handle, startedAt: at });
  if (!updated.ok || signal.aborted) {
    launched.value.cancel();
    return updated.ok ? failure('RW_START_CANCELLED', `the start of ${runId} was cancelled`) : updated;
  }
  const released = await launched.value.release();
  if (!released.ok) return released;
  failpoint('after-spawn');
  return success({ lock: updated.value, handle, at });
}

/**
 * Record the abort and ask the job's monitor to carry it out (it escalates on its own, even if
 * this process dies). If the request cannot be recorded (a full disk) or the monitor is gone,
 * SIGINT the group directly and report the error: the machine's own grace timer escalates.
 */
function interrupt(layout: Layout, { lock, abort }: SignalInput): Result<null> {
  if (lock.job === null) return failure('RW_NO_JOB', `run ${lock.runId} has no job to interrupt`);
  if (!abort.resumed) {
    const request = { requestedAt: abort.requestedAt, graceMs: abort.graceMs, forced: abort.forced };
    const written = writeAbortRequest(layout, lock.runId, request);
    const { identity, monitor } = jobIdentities(lock.job);
    const asked = written.ok && monitor !== null ? signalIfSame(monitor, 'SIGUSR1') : null;
    if (asked === null || !asked.ok || asked.value === 'gone') {
      const sent = identity === null ? success('gone') : signalGroupIfSame(identity, 'SIGINT');
      if (!sent.ok) return sent;
    }
    if (!written.ok) return written;
  }
  failpoint('abort-grace');
  return success(null);
}

/** SIGKILL the job's group now, through its monitor and directly. */
function kill(layout: Layout, { lock, abort }: SignalInput): Result<null> {
  if (lock.job === null) return failure('RW_NO_JOB', `run ${lock.runId} has no job to kill`);
  const request = { requestedAt: abort.requestedAt, graceMs: abort.graceMs, forced: true };
  writeAbortRequest(layout, lock.runId, request);
  const { identity, monitor } = jobIdentities(lock.job);
  if (monitor !== null) signalIfSame(monitor, 'SIGUSR2');
  if (identity === null) return success(null);
  const sent = signalGroupIfSame(identity, 'SIGKILL');
  return sent.ok ? success(null) : sent;
}

function retain(layout: Layout, { claim, outcome }: RetentionInput): Result<null> {
  if (claim.record.config.retention[outcome] !== 'delete') return success(null);
  const dir = layout.runDir(claim.record.runId);
  try {
    // The journal outlives the directory, beside the history record, so the run can be replayed.
    durableStep('rename', layout.historyJournal(claim.record.runId));
    renameSync(layout.runFile(claim.record.runId, 'lifecycle'), layout.historyJournal(claim.record.runId));
  } catch {
    // no journal (a run that never reached a machine that writes one): nothing to keep
  }
  try {
    durableStep('rm', dir);
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch (error) {
    return failure('RW_RETENTION_FAILED', `deleting ${dir}: ${errnoOf(error)}; delete it by hand`);
  }
  return success(null);
}

/** The machine's ports for the workspace in `options` (pass to `lifecycleMachine.provide`). */
export function localRuntime(options: LocalRuntimeOptions): Ports {
  const layout = layoutOf(options.workspace);
  const opts: Required<LocalRuntimeOptions> = {
    now: Date.now,
    pollMs: 100,
    spawnTimeoutMs: 10_000,
    ...options,
  };
  return {
    inspectDisk: fromPromise(async () => inspectWorkspace(layout, opts.now())),
    watchWorkspace: fromCallback(({ sendBack }) => watchWorkspace(layout, opts.pollMs, sendBack)),
    quarantineLock: fromPromise(async () => quarantineLock(layout)),
    acquireLock: fromPromise(async ({ input }: { input: AcquireInput }) => acquire(layout, input)),
    spawnJob: fromPromise(async ({ input, signal }) => spawn(layout, opts, input.lock, signal)),
    watchJob: fromCallback(({ input, sendBack }) => watchJob(layout, input.lock, opts, sendBack)),
    interruptJob: fromPromise(async ({ input }: { input: SignalInput }) => interrupt(layout, input)),
    killJob: fromPromise(async ({ input }: { input: SignalInput }) => kill(layout, input)),
    claimLock: fromPromise(async ({ input }: { input: ClaimInput }) =>
      claimLock(layout, input.source, input.record, selfIdentity()),
    ),
    recordHistory: fromPromise(async ({ input }: { input: HistoryInput }) => {
      failpoint('before-finalize');
      return recordHistory(layout, input.entry);
    }),
    applyRetention: fromPromise(async ({ input }: { input: RetentionInput }) => retain(layout, input)),
    releaseLock: fromPromise(async ({ input }) => releaseClaim(layout, input.claim)),
  };
}
