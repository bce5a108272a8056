// Deterministic fake implementations of every port of the machine, acting on a model World.
// Each operation waits the world's op latency, then takes effect in one atomic step, the way
// O_EXCL create and rename do on a real filesystem.
import { fromCallback, fromPromise } from 'xstate';
import type { JobReport, Result, SpawnOutput, unprovidedPorts, WorkspaceReport } from '../machine/ports.ts';
import type {
  ClaimRef,
  DiskFinding,
  JobHandle,
  Liveness,
  LockRecord,
  OwnerHandle,
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
  return { runsForMs: runs, exitCode: Number(argv[2] ?? 0), ignoresSigint: argv.includes('ignore-int') };
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

function findingOf(world: World): DiskFinding {
  const now = world.now;
  const slot = world.lock;
  if (slot?.kind === 'corrupt') return { lock: 'unreadable', detail: slot.detail, now };
  let source: { kind: 'active' } | { kind: 'claim'; name: string } = { kind: 'active' };
  let record: LockRecord | null = slot?.record ?? null;
  let owner: OwnerHandle | null = record?.owner ?? null;
  if (record === null) {
    const first = world.claims.entries().next();
    if (first.done) return { lock: 'absent', now };
    const [name, claim] = first.value;
    source = { kind: 'claim', name };
    record = claim.record;
    owner = { kind: 'model', id: claim.claimer, boot: world.boot };
  }
  const runId = record.runId;
  return {
    lock: 'present',
    source,
    record,
    owner: livenessOfOwner(world, owner ?? record.owner),
    job: record.job === null ? null : livenessOfJob(world, record.job),
    exit: world.exits.get(runId) ?? null,
    abort: world.aborts.get(runId) ?? null,
    // The model tracks no output: silence counts from the job's start.
    lastActivityAt: null,
    now,
  };
}

/** The ports of one supervisor process (`ownerId`) acting on `world`. */
export function fakeRuntime(world: World, ownerId: number): typeof unprovidedPorts {
  const ownerHandle: OwnerHandle = { kind: 'model', id: ownerId, boot: world.boot };
  let nonces = 0;
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
    quarantineLock: fromPromise(async () => {
      await step('quarantineLock');
      const no = refused<{ movedTo: string }>(world, 'rename', 'active.lock');
      if (no !== null) return no;
      if (world.lock?.kind !== 'corrupt') return fail('RW_QUARANTINE_LOST', 'the lock changed meanwhile');
      const movedTo = `active.lock.corrupt-${world.quarantined.length + 1}`;
      world.quarantined.push(movedTo);
      world.lock = null;
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
      world.lock = { kind: 'record', record: lock };
      await step('spawnJob');
      // The starter died or gave up before letting the job go: it exits without running.
      if (signal.aborted || !world.owners.get(ownerId)?.alive) {
        world.exit(proc, 127, null, true);
        return fail('RW_START_CANCELLED', 'the start was cancelled');
      }
      world.release(proc);
      return ok({ lock, handle, at: lock.startedAt ?? world.now });
    }),
    watchJob: fromCallback<{ type: 'noop' }, { lock: LockRecord }>(({ input, sendBack }) => {
      const { lock } = input;
      const check = (): void => {
        const job = lock.job;
        if (job === null) return;
        const exit = world.exits.get(lock.runId);
        if (exit !== undefined) {
          sendBack({
            type: 'process.exited',
            exit,
            abort: world.aborts.get(lock.runId) ?? null,
          } satisfies JobReport);
          return;
        }
        const liveness = livenessOfJob(world, job);
        if (liveness.state === 'gone') {
          sendBack({ type: 'process.lost', reason: liveness.reason, at: world.now } satisfies JobReport);
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
      if (!abort.resumed) {
        const request = { requestedAt: abort.requestedAt, graceMs: abort.graceMs, forced: abort.forced };
        // Not recorded: SIGINT the group directly and report it; the machine's own timer escalates.
        const no = refused<null>(world, 'write', 'abort.json');
        if (no !== null) {
          world.signal(job, 'SIGINT');
          return no;
        }
        world.aborts.set(lock.runId, request);
        world.signal(job, 'SIGINT');
        world.escalate(job, request);
      }
      return ok(null);
    }),
    killJob: fromPromise(async ({ input }) => {
      await step('killJob');
      const job = input.lock.job;
      if (job === null) return fail('RW_NO_JOB', 'no job recorded');
      const prior = world.aborts.get(input.lock.runId);
      // The forced flag is best effort (a refused disk keeps the old record); the kill is not.
      if (refused(world, 'write', 'abort.json') === null) {
        world.aborts.set(input.lock.runId, { ...(prior ?? input.abort), forced: true });
      }
      world.signal(job, 'SIGKILL');
      return ok(null);
    }),
    claimLock: fromPromise(async ({ input }) => {
      await step('claimLock');
      const no = refused<ClaimRef>(world, 'rename', 'active.lock');
      if (no !== null) return no;
      const name = world.newClaimName(ownerId);
      if (input.source.kind === 'active') {
        const slot = world.lock;
        if (slot?.kind !== 'record' || slot.record.nonce !== input.record.nonce) {
          return fail('RW_CLAIM_LOST', 'another process claimed the lock first');
        }
        world.lock = null;
      } else {
        if (!world.claims.delete(input.source.name)) return fail('RW_CLAIM_LOST', 'claim taken');
      }
      world.claims.set(name, { record: input.record, claimer: ownerId });
      return ok({ name, record: input.record });
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
      if (input.claim.record.config.retention[input.outcome] === 'delete') {
        const no = refused<null>(world, 'unlink', input.claim.record.runId);
        if (no !== null) return no;
        world.recordDelete(input.claim.record.runId, input.outcome);
      }
      return ok(null);
    }),
    releaseLock: fromPromise(async ({ input }) => {
      await step('releaseLock');
      const no = refused<null>(world, 'unlink', input.claim.name);
      if (no !== null) return no;
      world.claims.delete(input.claim.name);
      return ok(null);
    }),
  };
}
