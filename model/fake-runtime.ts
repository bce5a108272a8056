// Deterministic fake implementations of every port of the machine, acting on a model World.
// Each operation waits the world's op latency, then takes effect in one atomic step, the way
// O_EXCL create and rename do on a real filesystem.
import { fromCallback, fromPromise } from 'xstate';
import { abortRequestOf } from '../machine/context.ts';
import { retentionOf } from '../machine/outcome.ts';
import type { JobReport, Result, SpawnOutput, unprovidedPorts, WorkspaceReport } from '../machine/ports.ts';
import type {
  CheckpointFacts,
  CheckpointRequest,
  ClaimRef,
  DiskFinding,
  JobHandle,
  Liveness,
  LockRecord,
  LockSource,
  OwnerHandle,
  RecordedRun,
} from '../machine/types.ts';
import type { JobSpec, World } from './world.ts';

const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const fail = <T>(code: string, message: string): Result<T> => ({ ok: false, error: { code, message } });

/** The failure of `verb` on `path` while the disk refuses it, or null when the disk takes it. */
function refused<T>(world: World, verb: 'write' | 'rename' | 'unlink', path: string): Result<T> | null {
  const errno = world.faults.diskRefuses;
  // Removing a file needs no space: a full disk still lets unlink and rm through.
  if (errno === null || (errno === 'ENOSPC' && verb === 'unlink')) return null;
  const code =
    errno === 'ENOSPC' ? 'RW_DISK_FULL' : verb === 'rename' ? 'RW_CLAIM_FAILED' : 'RW_WRITE_FAILED';
  return fail(code, `${verb} ${path}: ${errno}`);
}

/** Job behaviour encoded in argv, so random histories can describe jobs: `job 500 3 ignore-int`. */
export function jobSpecOf(argv: readonly string[]): JobSpec {
  const runs = argv[1] === undefined || argv[1] === 'forever' ? null : Number(argv[1]);
  // Issue 14: `ckpt-<ms>`: saves, acks a checkpoint request <ms> later and exits 0.
  const ckpt = argv.find((a) => a.startsWith('ckpt-'));
  return {
    runsForMs: runs,
    exitCode: Number(argv[2] ?? 0),
    ignoresSigint: argv.includes('ignore-int'),
    checkpointAckMs: ckpt === undefined ? null : Number(ckpt.slice('ckpt-'.length)),
  };
}

function handleOf(world: World, pid: number): JobHandle {
  const proc = world.procs.get(pid);
  if (proc === undefined) throw new Error(`model: no process ${pid}`);
  return { kind: 'model', pid, startTime: proc.startTime, boot: proc.boot };
}

function livenessOfJob(world: World, handle: JobHandle): Liveness {
  if (Number(handle.boot) !== world.boot) return { state: 'gone', reason: 'reboot' };
  const proc = world.procs.get(Number(handle.pid));
  // The job died but its monitor lives (stopped, or retrying its exit record): the run is live.
  if (proc !== undefined && !proc.alive && world.monitorHolds(proc.runId)) return { state: 'alive' };
  if (proc === undefined || !proc.alive) return { state: 'gone', reason: 'process-gone' };
  if (proc.startTime !== Number(handle.startTime)) return { state: 'gone', reason: 'pid-reused' };
  return { state: 'alive' };
}

function livenessOfOwner(world: World, owner: OwnerHandle): Liveness {
  if (Number(owner.boot) !== world.boot) return { state: 'gone', reason: 'reboot' };
  return world.owners.get(Number(owner.id))?.alive
    ? { state: 'alive' }
    : { state: 'gone', reason: 'process-gone' };
}

function recordedRun(world: World, record: LockRecord, owner: Liveness): RecordedRun {
  return {
    record,
    owner,
    job: record.job === null ? null : livenessOfJob(world, record.job),
    exit: world.exits.get(record.runId) ?? null,
    abort: world.aborts.get(record.runId) ?? null,
    // The model tracks no output: silence counts from the job's start.
    lastActivityAt: null,
    checkpoint: checkpointFactsOf(world, record.runId),
    paused: world.pauses.get(record.runId) ?? null,
  };
}

/** Issue 14: the checkpoint facts of a run's directory: its newest request and the job's ack. */
export function checkpointFactsOf(world: World, runId: string): CheckpointFacts {
  const request = world.checkpointRequests.get(runId) ?? null;
  // As the runtime reads it: an ack naming this exit request or an earlier one it replaced.
  const ackSeq = world.ackSeqs.get(runId);
  const answered = request?.exit === true && ackSeq !== undefined && ackSeq <= request.seq;
  const ackedAt = answered ? (world.acks.get(runId) ?? null) : null;
  const newest =
    ackedAt === null ? null : { path: `/model/${runId}/ckpt`, step: 1, request: request?.seq ?? null };
  return { request, ackedAt, newest };
}

/** Runs only their run directories account for: a copy, no history, no readable lock or claim. */
function unaccountedRuns(world: World): RecordedRun[] {
  const named = new Set<string>();
  if (world.lock?.kind === 'record') named.add(world.lock.record.runId);
  for (const claim of world.claims.values()) if (claim.corrupt === undefined) named.add(claim.record.runId);
  return [...world.runCopies.values()]
    .filter((r) => !world.history.has(r.runId) && !named.has(r.runId))
    .map((r) => recordedRun(world, r, livenessOfOwner(world, r.owner)));
}

/** What a faithful inspection of `world` finds (mutation tests derive broken ones from it). */
export function findingOf(world: World): DiskFinding {
  const now = world.now;
  const slot = world.lock;
  if (slot?.kind === 'corrupt') {
    const source = { kind: 'active' } as const;
    const runs = unaccountedRuns(world);
    return { lock: 'unreadable', detail: slot.detail, path: 'active.lock', source, claimer: null, runs, now };
  }
  if (slot?.kind === 'record') {
    const record = slot.record;
    const run = recordedRun(world, record, livenessOfOwner(world, record.owner));
    return { lock: 'present', source: { kind: 'active' }, now, ...run };
  }
  const first = world.claims.entries().next();
  if (first.done) return { lock: 'absent', now };
  const [name, claim] = first.value;
  const claimer = livenessOfOwner(world, { kind: 'model', id: claim.claimer, boot: world.boot });
  const source = { kind: 'claim', name } as const;
  if (claim.corrupt !== undefined) {
    const runs = unaccountedRuns(world);
    return { lock: 'unreadable', detail: claim.corrupt, path: name, source, claimer, runs, now };
  }
  return { lock: 'present', source, now, ...recordedRun(world, claim.record, claimer) };
}

/** Whether the file a source names is there and is what the claimer expects (readable or not). */
function sourceMatches(world: World, source: LockSource, record: LockRecord): boolean {
  if (source.kind === 'active') {
    const slot = world.lock;
    if (slot?.kind === 'record') return slot.record.nonce === record.nonce;
    return slot?.kind === 'corrupt' && source.unreadable !== undefined;
  }
  const claim = world.claims.get(source.name);
  if (claim === undefined) return false;
  return claim.corrupt === undefined ? claim.record.nonce === record.nonce : source.unreadable !== undefined;
}

/** The ports of one supervisor process (`ownerId`) acting on `world`. */
export function fakeRuntime(world: World, ownerId: number): typeof unprovidedPorts {
  const ownerHandle: OwnerHandle = { kind: 'model', id: ownerId, boot: world.boot };
  let nonces = 0;
  // A failpoint: this process dies right after the named durable step of an abort.
  const diesAfter = (point: World['faults']['abortCrashAfter']): void => {
    if (world.faults.abortCrashAfter === point || world.failpoints.get(ownerId) === point) {
      world.crashOwner(ownerId);
    }
  };
  // Wait the operation's latency; a process that died meanwhile never takes its next step.
  const step = async (label: string): Promise<void> => {
    await world.delay(`${label}#${ownerId}`);
    if (!world.owners.get(ownerId)?.alive) await new Promise<never>(() => {});
  };

  return {
    inspectDisk: fromPromise(async () => {
      await step('inspectDisk');
      return findingOf(world);
    }),
    watchWorkspace: fromCallback<{ type: 'noop' }>(({ sendBack }) => {
      const check = (): void => {
        if (world.lock !== null) sendBack({ type: 'lock.appeared' } satisfies WorkspaceReport);
      };
      const stop = world.onChange(check);
      const first = world.clock.setTimeout(check, 0);
      return () => {
        stop();
        world.clock.clearTimeout(first);
      };
    }),
    quarantineLock: fromPromise(async ({ input }) => {
      await step('quarantineLock');
      const no = refused<{ movedTo: string }>(
        world,
        'rename',
        input.source.kind === 'active' ? 'active.lock' : input.source.name,
      );
      if (no !== null) return no;
      const movedTo = `active.lock.corrupt-${world.quarantined.length + 1}`;
      if (input.source.kind === 'active') {
        if (world.lock?.kind !== 'corrupt') return fail('RW_QUARANTINE_LOST', 'the lock changed meanwhile');
        world.lock = null;
      } else {
        const claim = world.claims.get(input.source.name);
        if (claim?.corrupt === undefined) return fail('RW_QUARANTINE_LOST', 'the claim changed meanwhile');
        world.claims.delete(input.source.name);
      }
      world.quarantined.push(movedTo);
      world.changed();
      return ok({ movedTo });
    }),
    acquireLock: fromPromise(async ({ input }) => {
      await step('acquireLock');
      if (world.lock !== null) return fail('RW_CONFLICT', 'a run is already active');
      const no = refused<LockRecord>(world, 'write', 'active.lock');
      if (no !== null) return no;
      nonces += 1;
      const record: LockRecord = {
        runId: input.config.runId,
        nonce: `${ownerId}-${nonces}`,
        createdAt: input.at,
        owner: ownerHandle,
        job: null,
        startedAt: null,
        config: input.config,
      };
      // The run directory's copy first: a lock that turns unreadable always has its run on record.
      world.runCopies.set(record.runId, record);
      world.lock = { kind: 'record', record };
      world.locked.set(record.runId, record.nonce);
      world.changed();
      return ok(record);
    }),
    spawnJob: fromPromise(async ({ input, signal }) => {
      await step('spawnJob');
      if (world.faults.spawnFails) return fail('RW_SPAWN_FAILED', `cannot run ${input.lock.config.argv[0]}`);
      const proc = world.spawn(input.lock.config.runId, jobSpecOf(input.lock.config.argv), ownerId);
      const handle = handleOf(world, proc.pid);
      const slot = world.lock;
      if (slot?.kind === 'corrupt') {
        world.exit(proc, 127, null, true);
        return fail('RW_LOCK_UNREADABLE', 'the lock became unreadable during the start');
      }
      if (slot?.kind !== 'record' || slot.record.nonce !== input.lock.nonce) {
        world.exit(proc, 127, null, true);
        return fail('RW_LOCK_LOST', 'the lock was taken away during the start');
      }
      // Recording the job in the lock is a write: refused, the job is let go never (it exits unrun).
      const no = refused<SpawnOutput>(world, 'write', 'active.lock');
      if (no !== null) {
        world.exit(proc, 127, null, true);
        return no;
      }
      const lock: LockRecord = { ...input.lock, job: handle, startedAt: world.now };
      // The job's identity is recorded a second time, in its run directory, before the lock.
      world.runCopies.set(lock.runId, lock);
      world.lock = { kind: 'record', record: lock };
      await step('spawnJob');
      // The starter died or gave up before letting the job go: it exits without running.
      if (signal.aborted || !world.owners.get(ownerId)?.alive) {
        world.exit(proc, 127, null, true);
        return fail('RW_START_CANCELLED', 'the start was cancelled');
      }
      world.release(proc);
      // Issue 14: the monitor keeps the time limit from the job's release on.
      const limit = input.lock.config.timeLimitMs;
      if (limit !== undefined)
        world.startTimeLimit(
          proc,
          handle,
          limit,
          input.lock.config.checkpointBeforeMs ?? 0,
          input.lock.config.graceMs,
        );
      return ok({ lock, handle, at: lock.startedAt ?? world.now });
    }),
    watchJob: fromCallback<{ type: 'noop' }, { lock: LockRecord }>(({ input, sendBack }) => {
      const { lock } = input;
      // A record already there is reported too: the machine ignores one it already carries out.
      let seenAbort = 'null';
      let seenPause: number | null = null;
      let seenRequest = 0;
      const check = (): void => {
        const job = lock.job;
        if (job === null) return;
        const exit = world.exits.get(lock.runId);
        if (exit !== undefined) {
          sendBack({
            type: 'process.exited',
            exit,
            abort: world.aborts.get(lock.runId) ?? null,
            checkpoint: checkpointFactsOf(world, lock.runId),
          } satisfies JobReport);
          return;
        }
        const liveness = livenessOfJob(world, job);
        if (liveness.state === 'gone') {
          sendBack({ type: 'process.lost', reason: liveness.reason, at: world.now } satisfies JobReport);
          return;
        }
        // Issue 14: another process asked for a checkpoint (the control file changed).
        const request = world.checkpointRequests.get(lock.runId) ?? null;
        if (request !== null && request.seq !== seenRequest) {
          seenRequest = request.seq;
          sendBack({ type: 'checkpoint.recorded', request, at: world.now } satisfies JobReport);
        }
        // Issue 14: another process paused or continued the run.
        const paused = world.pauses.get(lock.runId) ?? null;
        if (paused !== seenPause) {
          seenPause = paused;
          sendBack(
            (paused === null
              ? { type: 'job.continued', at: world.now }
              : { type: 'job.paused', at: paused }) satisfies JobReport,
          );
        }
        const abort = world.aborts.get(lock.runId);
        const now = JSON.stringify(abort ?? null);
        if (abort !== undefined && now !== seenAbort) {
          seenAbort = now;
          sendBack({ type: 'abort.recorded', abort, at: world.now } satisfies JobReport);
        }
      };
      const stop = world.onChange(check);
      // First look once the actor is fully started (sendBack during start is dropped).
      const first = world.clock.setTimeout(check, 0);
      return () => {
        stop();
        world.clock.clearTimeout(first);
      };
    }),
    interruptJob: fromPromise(async ({ input }) => {
      await step('interruptJob');
      const { lock, abort } = input;
      const job = lock.job;
      if (job === null) return fail('RW_NO_JOB', 'no job recorded');
      if (abort.interruptedAt !== null) return ok(null);
      // Each durable step is a point where this process may die; whoever finds the record goes on.
      if (!abort.resumed) {
        // Not recorded: SIGINT the group directly and report it; the machine's own timer escalates.
        const no = refused<null>(world, 'write', 'abort.json');
        if (no !== null) {
          world.interruptDirectly(lock.runId, job, ownerId);
          return no;
        }
        world.recordAbort(lock.runId, abortRequestOf(abort));
        diesAfter('recorded');
        await step('interruptJob');
      }
      // The grace file is a write too: refused, the monitor is not asked (it could not escalate).
      const noGrace = refused<null>(world, 'write', 'abort.grace');
      const asked = noGrace === null && world.deliverAbort(lock.runId, job, abort.graceMs);
      if (!asked) world.interruptDirectly(lock.runId, job, ownerId);
      // Issue 14: a paused job gets SIGCONT with the interrupt.
      if (world.pauses.delete(lock.runId)) world.stopJob(job, false);
      diesAfter('delivered');
      await step('interruptJob');
      // Only a monitor that took the request escalates on its own: only then is it recorded
      // delivered (a resumer otherwise interrupts again, and its own timer escalates).
      if (!asked) return noGrace ?? ok(null);
      const noRecord = refused<null>(world, 'write', 'abort.json');
      if (noRecord !== null) return noRecord;
      world.recordAbort(lock.runId, { ...abortRequestOf(abort), interruptedAt: world.now });
      return ok(null);
    }),
    killJob: fromPromise(async ({ input }) => {
      await step('killJob');
      const job = input.lock.job;
      if (job === null) return fail('RW_NO_JOB', 'no job recorded');
      // The forced flag is best effort (a refused disk keeps the old record); the kill is not.
      if (refused(world, 'write', 'abort.json') === null) {
        world.recordAbort(input.lock.runId, { ...abortRequestOf(input.abort), forced: true });
        diesAfter('forced');
        await step('killJob');
      }
      world.signal(job, 'SIGKILL');
      if (world.pauses.delete(input.lock.runId)) world.stopJob(job, false);
      return ok(null);
    }),
    // Issue 14: the pause record, then SIGSTOP; SIGCONT, then the record removed.
    pauseJob: fromPromise(async ({ input }) => {
      await step('pauseJob');
      const job = input.lock.job;
      if (job === null) return fail('RW_NO_JOB', 'no job recorded');
      const no = refused<null>(world, 'write', 'paused.json');
      if (no !== null) return no;
      world.pauses.set(input.lock.runId, input.at);
      world.stopJob(job, true);
      return ok(null);
    }),
    continueJob: fromPromise(async ({ input }) => {
      await step('continueJob');
      const job = input.lock.job;
      if (job !== null) world.stopJob(job, false);
      world.pauses.delete(input.lock.runId);
      world.changed();
      return ok(null);
    }),
    // Issue 14: the control file (next seq), the monitor's deadline, the signal, identity checked.
    requestCheckpoint: fromPromise(async ({ input }) => {
      await step('requestCheckpoint');
      const job = input.lock.job;
      if (job === null) return fail('RW_NO_JOB', 'no job recorded');
      const no = refused<CheckpointRequest>(world, 'write', 'checkpoint.json');
      if (no !== null) return no;
      const prior = world.checkpointRequests.get(input.lock.runId);
      const { requestedAt, graceMs, reason } = input.suspend;
      const request: CheckpointRequest = {
        seq: (prior?.seq ?? 0) + 1,
        reason,
        exit: true,
        requestedAt,
        deadlineAt: requestedAt + graceMs,
        signal: 'SIGUSR1',
      };
      world.requestCheckpoint(input.lock.runId, job, request, input.lock.config.graceMs);
      return ok(request);
    }),
    claimLock: fromPromise(async ({ input }) => {
      await step('claimLock');
      const no = refused<ClaimRef>(world, 'rename', 'active.lock');
      if (no !== null) return no;
      const name = world.newClaimName(ownerId);
      if (!sourceMatches(world, input.source, input.record)) {
        return fail('RW_CLAIM_LOST', 'another process claimed the lock first');
      }
      // An unreadable file stays unreadable under its claim name.
      const corrupt =
        input.source.kind === 'active'
          ? world.lock?.kind === 'corrupt'
            ? world.lock.detail
            : undefined
          : world.claims.get(input.source.name)?.corrupt;
      if (input.source.kind === 'active') world.lock = null;
      else world.claims.delete(input.source.name);
      const claim = { record: input.record, claimer: ownerId };
      world.claims.set(name, corrupt === undefined ? claim : { ...claim, corrupt });
      return ok(
        corrupt === undefined
          ? { name, record: input.record }
          : { name, record: input.record, unreadable: corrupt },
      );
    }),
    recordHistory: fromPromise(async ({ input }) => {
      await step('recordHistory');
      const { runId } = input.entry;
      const no = refused<null>(world, 'write', `history/${runId}.json`);
      if (no !== null) return no;
      if (!world.history.has(runId)) {
        world.history.set(runId, input.entry);
        world.historyCreations.set(runId, (world.historyCreations.get(runId) ?? 0) + 1);
      }
      return ok(null);
    }),
    applyRetention: fromPromise(async ({ input }) => {
      await step('applyRetention');
      if (retentionOf(input.claim.record.config.retention, input.outcome) === 'delete') {
        const no = refused<null>(world, 'unlink', input.claim.record.runId);
        if (no !== null) return no;
        world.recordDelete(input.claim.record.runId, input.outcome);
      }
      return ok(null);
    }),
    discardRun: fromPromise(async ({ input }) => {
      await step('discardRun');
      const no = refused<null>(world, 'unlink', input.claim.record.runId);
      if (no !== null) return no;
      world.recordDiscard(input.claim.record.runId);
      return ok(null);
    }),
    releaseLock: fromPromise(async ({ input }) => {
      await step('releaseLock');
      // An unreadable claim is kept as evidence, moved aside (a rename, not an unlink).
      const corrupt = world.claims.get(input.claim.name)?.corrupt !== undefined;
      const no = refused<null>(world, corrupt ? 'rename' : 'unlink', input.claim.name);
      if (no !== null) return no;
      if (corrupt) world.quarantined.push(`${input.claim.name}.corrupt`);
      world.claims.delete(input.claim.name);
      return ok(null);
    }),
  };
}
