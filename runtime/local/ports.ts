// The local runtime: every port of the machine implemented on one Linux machine (files in a
// workspace directory, jobs under rw-monitor, identities from /proc).

import { mkdirSync, rmSync } from 'node:fs';
import { fromCallback, fromPromise } from 'xstate';
import { abortRequestOf } from '../../machine/context.ts';
import { retentionOf } from '../../machine/outcome.ts';
import type {
  AcquireInput,
  CheckpointInput,
  ClaimInput,
  HistoryInput,
  PauseInput,
  Result,
  RetentionInput,
  SignalInput,
  SpawnOutput,
  unprovidedPorts,
} from '../../machine/ports.ts';
import type { LockRecord } from '../../machine/types.ts';
import { errnoOf, failure, success } from '../fs/fs-error.ts';
import { chain, checkpointEnv, deliverCheckpointRequest, writeTimeLimitClock } from './checkpoint-control.ts';
import { continueIfPaused, continueJob, pauseJob } from './checkpoint-pause.ts';
import { failpoint } from './failpoint.ts';
import { recordHistory } from './history-store.ts';
import { identityOf, signalGroupIfSame } from './identity.ts';
import { inspectWorkspace } from './inspect.ts';
import { jobIdentities } from './job-liveness.ts';
import { watchJob } from './job-watcher.ts';
import { type Layout, layoutOf } from './layout.ts';
import { claimLock, createLock, quarantineLock, readLock, releaseClaim, updateLock } from './lock-file.ts';
import { selfIdentity, selfOwner } from './owner.ts';
import { deleteRunDir } from './prune.ts';
import { createRunDir, writeAbortGrace, writeAbortRequest, writeRunIdentity } from './run-records.ts';
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
    // 0700: the workspace holds job output, history and the serve token; others keep out.
    mkdirSync(layout.root, { recursive: true, mode: 0o700 });
  } catch (error) {
    return failure(
      'RW_WORKSPACE_FAILED',
      `creating the workspace ${layout.root}: ${errnoOf(error)}; check the path`,
    );
  }
  // The run directory's copy of the record first: a lock that later turns unreadable always
  // has its run on record, so recovery can tell whether that run may still be alive.
  const dir = chain(createRunDir(layout, record), () => writeTimeLimitClock(layout, config));
  if (!dir.ok) {
    removeRunDir(layout, config.runId);
    return dir;
  }
  const made = createLock(layout, record);
  if (!made.ok || made.value === 'exists') removeRunDir(layout, config.runId);
  if (!made.ok) return made;
  if (made.value === 'exists') {
    const holder = holderOf(layout);
    return failure('RW_CONFLICT', `run ${holder} is already active`);
  }
  failpoint('after-lock');
  return success(record);
}

/** Remove the directory of a run that never took the lock (its id is unique: nobody else's). */
function removeRunDir(layout: Layout, runId: string): void {
  try {
    rmSync(layout.runDir(runId), { recursive: true, force: true });
  } catch {
    // left behind: it holds no lock, and recovery reads it only to account for an unreadable lock
  }
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
      ...checkpointEnv(layout, config),
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
  // The job's identity is recorded a second time, in its run directory, before the lock and
  // before the job is let go: liveness stays discoverable if the lock turns unreadable.
  const copied = writeRunIdentity(layout, { ...lock, job: handle, startedAt: at });
  if (!copied.ok) {
    launched.value.cancel();
    return copied;
  }
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
 * Carry out the interrupt an abort promises, in durable steps any process can resume: record
 * the abort (unless it was found on disk), write the grace and ask the job's monitor (it SIGINTs
 * the group and SIGKILLs it at the deadline on its own; a second request adds nothing), then
 * record when the interrupt was delivered. An abort whose delivery is recorded is left to the
 * monitor. If the monitor is gone, SIGINT the group directly: the machine's grace timer escalates.
 * A record that cannot be written (a full disk) does not stop the interrupt; its error is reported.
 */
function interrupt(layout: Layout, now: () => number, { lock, abort }: SignalInput): Result<null> {
  if (lock.job === null) return failure('RW_NO_JOB', `run ${lock.runId} has no job to interrupt`);
  if (abort.interruptedAt !== null) return success(null);
  const request = abortRequestOf(abort);
  const recorded = abort.resumed ? success(null) : writeAbortRequest(layout, lock.runId, request);
  failpoint('abort-recorded');
  const grace = writeAbortGrace(layout, lock.runId, abort.graceMs);
  const { identity, monitor } = jobIdentities(lock.job);
  const asked = grace.ok && monitor !== null ? signalIfSame(monitor, 'SIGUSR1') : null;
  const monitorTook = asked?.ok === true && asked.value !== 'gone';
  if (!monitorTook) {
    const sent = identity === null ? success('gone') : signalGroupIfSame(identity, 'SIGINT');
    if (!sent.ok) return sent;
  }
  // Issue 14: a paused group must run again to act on the interrupt.
  continueIfPaused(layout, lock);
  failpoint('abort-grace');
  // Only a monitor that took the request escalates on its own, so only then is the delivery
  // recorded; otherwise a resumer interrupts again and its own grace timer escalates.
  const delivered = monitorTook
    ? writeAbortRequest(layout, lock.runId, { ...request, interruptedAt: now() })
    : success(null);
  if (!recorded.ok) return recorded;
  return grace.ok ? delivered : grace;
}

/** SIGKILL the job's group now, through its monitor and directly, having recorded that it was asked. */
function kill(layout: Layout, { lock, abort }: SignalInput): Result<null> {
  if (lock.job === null) return failure('RW_NO_JOB', `run ${lock.runId} has no job to kill`);
  writeAbortRequest(layout, lock.runId, { ...abortRequestOf(abort), forced: true });
  const { identity, monitor } = jobIdentities(lock.job);
  if (monitor !== null) signalIfSame(monitor, 'SIGUSR2');
  if (identity === null) return success(null);
  const sent = signalGroupIfSame(identity, 'SIGKILL');
  continueIfPaused(layout, lock);
  return sent.ok ? success(null) : sent;
}

function retain(layout: Layout, { claim, outcome }: RetentionInput): Result<null> {
  if (retentionOf(claim.record.config.retention, outcome) !== 'delete') return success(null);
  return deleteRunDir(layout, claim.record.runId);
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
    quarantineLock: fromPromise(async ({ input }) => quarantineLock(layout, input.source)),
    acquireLock: fromPromise(async ({ input }: { input: AcquireInput }) => acquire(layout, input)),
    spawnJob: fromPromise(async ({ input, signal }) => spawn(layout, opts, input.lock, signal)),
    watchJob: fromCallback(({ input, sendBack }) => watchJob(layout, input.lock, opts, sendBack)),
    interruptJob: fromPromise(async ({ input }: { input: SignalInput }) =>
      interrupt(layout, opts.now, input),
    ),
    killJob: fromPromise(async ({ input }: { input: SignalInput }) => kill(layout, input)),
    // Issue 14: pause / continue (runtime/local/checkpoint-pause.ts).
    pauseJob: fromPromise(async ({ input }: { input: PauseInput }) => pauseJob(layout, input.lock, input.at)),
    continueJob: fromPromise(async ({ input }: { input: PauseInput }) => continueJob(layout, input.lock)),
    // Issue 14: checkpoint-and-exit (runtime/local/checkpoint-control.ts).
    requestCheckpoint: fromPromise(async ({ input }: { input: CheckpointInput }) =>
      deliverCheckpointRequest(layout, input.lock, {
        reason: input.suspend.reason,
        exit: true,
        graceMs: input.suspend.graceMs,
        at: input.suspend.requestedAt,
      }),
    ),
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
