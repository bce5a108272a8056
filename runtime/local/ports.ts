// The local runtime: every port of the machine implemented on one Linux machine (files in a
// workspace directory, jobs under rw-monitor, identities from /proc).

import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
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
import type { ClaimRef, LockRecord, RunConfig } from '../../machine/types.ts';
import { confinedDir } from '../fs/confined.ts';
import { durableStep } from '../fs/durable-step.ts';
import { errnoOf, failure, success } from '../fs/fs-error.ts';
import { chain, checkpointEnv, deliverCheckpointRequest, writeTimeLimitClock } from './checkpoint-control.ts';
import { continueIfPaused, continueJob, pauseJob } from './checkpoint-pause.ts';
import { failpoint } from './failpoint.ts';
import { recordHistory } from './history-store.ts';
import { identityOf, signalGroupIfSame } from './identity.ts';
import { inspectWorkspace } from './inspect.ts';
import { jobIdentities } from './job-liveness.ts';
import { watchJob } from './job-watcher.ts';
import { type Layout, layoutOf, type SlotRef } from './layout.ts';
import { claimLock, createLock, quarantineLock, readLock, releaseClaim, updateLock } from './lock-file.ts';
import { writeLogMax } from './log-cap-layout.ts';
import { selfIdentity, selfOwner } from './owner.ts';
import { deleteRunDir } from './prune.ts';
import { resourceRequestOf, writeSampleEvery } from './resource-files.ts';
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
  /** The slot whose lock this runtime's actor holds (issue 12); default slot 0 (`active.lock`). */
  readonly slot?: SlotRef;
  /** The layouts of a run's slots by name (issue 12: a run on k slots takes k locks); default: slot 0 only. */
  readonly slotLayouts?: (names: readonly string[]) => Result<readonly Layout[]>;
  /** The environment a started job's env is merged over (default process.env; a queued run: its submitter's). */
  readonly baseEnv?: Readonly<Record<string, string>>;
  /** What the monitor runs once the exit is recorded (the `dispatch` kick); none by default. */
  readonly kick?: readonly string[];
}

type Ports = typeof unprovidedPorts;

/** The options with their defaults filled in (the optional issue-12 ones stay optional). */
type FilledOptions = Required<Pick<LocalRuntimeOptions, 'workspace' | 'now' | 'pollMs' | 'spawnTimeoutMs'>> &
  LocalRuntimeOptions;

/** The layouts of a run's slots (the first is this actor's); a run without `slots` holds slot 0 alone. */
function runLayouts(layout: Layout, options: FilledOptions, config: RunConfig): Result<readonly Layout[]> {
  const names = config.slots;
  if (names === undefined || names.length <= 1) return success([layout]);
  if (options.slotLayouts === undefined)
    return failure(
      'RW_INTERNAL',
      `run ${config.runId} needs slots ${names.join(', ')}, but no slot layouts were given`,
    );
  return options.slotLayouts(names);
}

/** Who holds the lock, for the conflict message. */
function holderOf(layout: Layout): string {
  const read = readLock(layout.lock);
  return read.ok && read.value.state === 'ok' ? read.value.value.runId : 'another run';
}

function acquire(layout: Layout, options: FilledOptions, { config, at }: AcquireInput): Result<LockRecord> {
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
  // A queued run restarted after a requeue whose discard failed half-way: its old directory
  // (an exit.json of the attempt that never ran) must not speak for the new attempt. The entry's
  // claim makes this process the only one starting this run id.
  if (config.fromQueue === true && existsSync(layout.runDir(config.runId))) {
    const stale = discard(layout, { name: '', record });
    if (!stale.ok) return stale;
  }
  // The run directory's copy of the record first: a lock that later turns unreadable always
  // has its run on record, so recovery can tell whether that run may still be alive.
  const dir = chain(createRunDir(layout, record), () => writeTimeLimitClock(layout, config));
  if (!dir.ok) {
    removeRunDir(layout, config.runId);
    return dir;
  }
  const layouts = runLayouts(layout, options, config);
  if (!layouts.ok) {
    removeRunDir(layout, config.runId);
    return layouts;
  }
  // k slots: each lock O_EXCL in slot order; on any refusal the ones made are removed (try-lock,
  // never wait: no deadlock, no partial hold).
  const made: Layout[] = [];
  for (const slot of layouts.value) {
    const created = createSlotLock(slot, record);
    if (created.ok && created.value === 'created') {
      made.push(slot);
      continue;
    }
    for (const undo of made.reverse()) removeOwnLock(undo, record);
    removeRunDir(layout, config.runId);
    if (!created.ok) return created;
    const holder = holderOf(slot);
    const where = layouts.value.length > 1 ? ` in slot ${slot.slot.name}` : '';
    return failure('RW_CONFLICT', `run ${holder} is already active${where}`);
  }
  failpoint('after-lock');
  return success(record);
}

/** Create one slot's lock (its directory first, for slots beyond 0). */
function createSlotLock(layout: Layout, record: LockRecord): Result<'created' | 'exists'> {
  if (layout.lockDir !== layout.root) {
    try {
      mkdirSync(layout.lockDir, { recursive: true, mode: 0o700 });
    } catch (error) {
      return failure(
        'RW_WORKSPACE_FAILED',
        `creating ${layout.lockDir}: ${errnoOf(error)}; check the workspace`,
      );
    }
  }
  return createLock(layout, record);
}

/**
 * Remove a lock of ours (same nonce) from a slot: claimed by a rename first, so a newer lock
 * made meanwhile is never removed (claimLock puts it back). Best effort: a lock left behind is
 * recovered by that slot's actor (its run has or gets its history record).
 */
function removeOwnLock(layout: Layout, record: LockRecord): void {
  const claimed = claimLock(layout, { kind: 'active' }, record, selfIdentity());
  if (claimed.ok) releaseClaim(layout, claimed.value);
}

/** Update the lock of every slot a run holds (the job's identity); the first slot's last. */
function updateRunLocks(layout: Layout, options: FilledOptions, record: LockRecord): Result<LockRecord> {
  const layouts = runLayouts(layout, options, record.config);
  if (!layouts.ok) return layouts;
  for (const other of layouts.value) {
    if (other.lock === layout.lock) continue;
    const updated = updateLock(other, record);
    if (!updated.ok) return updated;
  }
  return updateLock(layout, record);
}

/**
 * Release a run's claim, then remove the locks its other slots still hold (issue 12). Whoever
 * frees a slot while runs wait kicks the dispatcher: a run submitted while the slot was being
 * finalised (after the monitor's own kick found the queue empty) still starts unattended.
 */
function release(layout: Layout, options: FilledOptions, claim: ClaimRef): Result<null> {
  const released = releaseClaim(layout, claim);
  if (!released.ok) return released;
  const layouts = runLayouts(layout, options, claim.record.config);
  if (layouts.ok) {
    for (const other of layouts.value) {
      if (other.lock === layout.lock) continue;
      const read = readLock(other.lock);
      if (read.ok && read.value.state === 'ok' && read.value.value.nonce === claim.record.nonce)
        removeOwnLock(other, read.value.value);
    }
  }
  // A dispatcher reads the queue right after it recovers: it needs no kick of its own.
  if (options.kick !== undefined && options.kick.length > 0 && !dispatching() && queueHasEntries(layout))
    kickDetached(options.kick);
  return success(null);
}

/** Dispatches under way in this process (see `whileDispatching`). */
let dispatches = 0;
const dispatching = () => dispatches > 0;

/** Run `work` as a dispatch of this process: a slot it frees meanwhile kicks no other dispatcher. */
export async function whileDispatching<T>(work: () => Promise<T>): Promise<T> {
  dispatches++;
  try {
    return await work();
  } finally {
    dispatches--;
  }
}

/** Whether the queue directory holds a waiting entry (one listing; no queue: none). */
function queueHasEntries(layout: Layout): boolean {
  try {
    return readdirSync(layout.queueDir).some(
      (n) => n.endsWith('.json') && n !== 'hold.json' && !n.includes('.new-'),
    );
  } catch {
    return false;
  }
}

/** Start `argv` detached (own session, no stdio), never waited for: the monitor's kick, from node. */
function kickDetached(argv: readonly string[]): void {
  const [program, ...args] = argv;
  if (program === undefined) return;
  try {
    // Loaded only here: status and list never spawn, and child_process costs startup time.
    const { spawn } = process.getBuiltinModule('node:child_process');
    const { RW_KICK: _kick, ...env } = process.env;
    spawn(program, args, { detached: true, stdio: 'ignore', env }).unref();
  } catch {
    // no kick: the next runwarden command dispatches
  }
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
  options: FilledOptions,
  lock: LockRecord,
  signal: AbortSignal,
): Promise<Result<SpawnOutput>> {
  const { config, runId } = { config: lock.config, runId: lock.runId };
  // Loaded on first use: status and list never spawn, and child_process costs startup time.
  const { launchMonitored } = await import('./monitor/launch.ts');
  // Issue 17: ask the monitor to cap the logs and sample the job (the run's options, else the
  // workspace's defaults in workspace.json, else no cap and every 10 s).
  const resources = resourceRequestOf(layout, config);
  if (!resources.ok) return resources;
  const { logMaxBytes, sampleEveryMs } = resources.value;
  if (logMaxBytes !== null) {
    const logs = [layout.runFile(runId, 'stdout'), layout.runFile(runId, 'stderr')];
    const asked = writeLogMax(layout.root, layout.runDir(runId), logMaxBytes, logs);
    if (!asked.ok) return asked;
  }
  if (sampleEveryMs !== null) {
    const asked = writeSampleEvery(layout.root, layout.runDir(runId), sampleEveryMs);
    if (!asked.ok) return asked;
  }
  const launched = await launchMonitored({
    runDir: layout.runDir(runId),
    argv: config.argv,
    cwd: config.cwd,
    ...(options.baseEnv === undefined ? {} : { baseEnv: options.baseEnv }),
    ...(options.kick === undefined ? {} : { kick: options.kick }),
    env: {
      ...config.env,
      // Every run knows its slot (issue 12); a slot-configured run's overlay is in config.env.
      RUNWARDEN_SLOT: config.env.RUNWARDEN_SLOT ?? layout.slot.name,
      RUNWARDEN_SLOT_INDEX: config.env.RUNWARDEN_SLOT_INDEX ?? String(layout.slot.index),
      RUNWARDEN_SLOTS: config.env.RUNWARDEN_SLOTS ?? (config.slots ?? [layout.slot.name]).join(','),
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
  const updated = updateRunLocks(layout, options, { ...lock, job: handle, startedAt: at });
  if (!updated.ok || signal.aborted) {
    launched.value.cancel();
    return updated.ok ? failure('RW_START_CANCELLED', `the start of ${runId} was cancelled`) : updated;
  }
  failpoint('before-go');
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

/**
 * Issue 12 `requeue` (minimal, q-model; q-core may replace it): remove the never-started run
 * directory of a queued run, confined to the workspace; no history record. Already gone: ok.
 */
function discard(layout: Layout, claim: ClaimRef): Result<null> {
  const dir = layout.runDir(claim.record.runId);
  const runDir = confinedDir(layout.root, dir);
  if (!runDir.ok) return runDir;
  try {
    durableStep('rm', dir);
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch (error) {
    return failure('RW_DISCARD_FAILED', `deleting ${dir}: ${errnoOf(error)}; delete it by hand`);
  }
  return success(null);
}

/** The machine's ports for the workspace in `options` (pass to `lifecycleMachine.provide`). */
export function localRuntime(options: LocalRuntimeOptions): Ports {
  const layout = layoutOf(options.workspace, options.slot);
  const opts: FilledOptions = {
    now: Date.now,
    pollMs: 100,
    spawnTimeoutMs: 10_000,
    ...options,
  };
  return {
    inspectDisk: fromPromise(async () => inspectWorkspace(layout, opts.now())),
    watchWorkspace: fromCallback(({ sendBack }) => watchWorkspace(layout, opts.pollMs, sendBack)),
    quarantineLock: fromPromise(async ({ input }) => quarantineLock(layout, input.source)),
    acquireLock: fromPromise(async ({ input }: { input: AcquireInput }) => acquire(layout, opts, input)),
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
    releaseLock: fromPromise(async ({ input }) => release(layout, opts, input.claim)),
    discardRun: fromPromise(async ({ input }) => discard(layout, input.claim)),
  };
}
