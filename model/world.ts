// The reference model of the world a workspace lives in: processes with identities, the lock,
// claims, exit and abort records, history and run directories. Simpler than the machine on
// purpose: every operation is one atomic step, and time is a simulated clock.
import type { SimulatedClock } from 'xstate';
import type {
  AbortRequest,
  ExitRecord,
  HistoryEntry,
  JobHandle,
  LockRecord,
  Outcome,
} from '../machine/types.ts';
import type { Claim, Delivery, DiskErrno, Faults, Incident, JobSpec, LockSlot, Proc } from './world-types.ts';

export type { Claim, Delivery, DiskErrno, Faults, Incident, JobSpec, LockSlot, Proc } from './world-types.ts';

export const sigintExitDelayMs = 300;
export const sigkillExitDelayMs = 5;

export class World {
  readonly clock: SimulatedClock;
  readonly faults: Faults;
  boot = 1;
  nextPid = 100;
  lock: LockSlot | null = null;
  readonly claims = new Map<string, Claim>();
  readonly quarantined: string[] = [];
  readonly procs = new Map<number, Proc>();
  readonly owners = new Map<number, { alive: boolean }>();
  readonly exits = new Map<string, ExitRecord>();
  readonly aborts = new Map<string, AbortRequest>();
  /** When each run's abort record was first written, and when it first said SIGKILL. */
  readonly abortRecordedAt = new Map<string, number>();
  readonly forcedAt = new Map<string, number>();
  /** Interrupts the monitors received (a second request adds nothing, as in rw-monitor). */
  readonly delivered = new Map<string, Delivery>();
  /** The supervisor that last SIGINTed each run's job directly (its own timer escalates). */
  readonly interruptedBy = new Map<string, number>();
  /** When each run's job died (ground truth, whether or not an exit record was written). */
  readonly diedAt = new Map<string, number>();
  /** Each run directory's copy of its lock record (written before the lock, updated before it). */
  readonly runCopies = new Map<string, LockRecord>();
  /** Per supervisor: the durable step of an abort after which it dies (a failpoint armed for one request). */
  readonly failpoints = new Map<number, NonNullable<Faults['abortCrashAfter']>>();
  /** Set by the simulation: a supervisor process dies at once (SIGKILL from a failpoint). */
  crashOwner: (owner: number) => void = () => {};
  readonly history = new Map<string, HistoryEntry>();
  readonly historyCreations = new Map<string, number>();
  readonly deleted = new Set<string>();
  /** Queued runs whose never-started directory recovery discarded (issue 12 `requeue`). */
  readonly discarded = new Set<string>();
  /** Every run that ever took the lock, with the lock's nonce. */
  readonly locked = new Map<string, string>();
  readonly incidents: Incident[] = [];
  /** Exits a monitor knows but has not recorded yet (stopped, or the disk refuses), by run id. */
  readonly pendingExits = new Map<string, ExitRecord>();
  /** Abort escalations a stopped monitor will carry out once resumed. */
  private pendingEscalations: Array<() => void> = [];
  /** When stopped monitors were last resumed (their pending work happens then). */
  monitorsResumedAt = 0;
  /** Per run, the lifecycle journal's sequence numbers in append order. */
  readonly journal = new Map<string, number[]>();
  private readonly listeners = new Set<() => void>();
  private claimCounter = 0;

  constructor(clock: SimulatedClock, faults: Partial<Faults> = {}) {
    this.clock = clock;
    this.faults = {
      spawnFails: false,
      monitorDies: false,
      reusePids: false,
      skipIdentityCheck: false,
      opDelayMs: 0,
      abortCrashAfter: null,
      diskRefuses: null,
      monitorStopped: false,
      ...faults,
    };
  }

  get now(): number {
    return this.clock.now();
  }

  /** When set (by race tests), every operation waits for this scheduler to let it through. */
  scheduler: { schedule<T>(task: Promise<T>, label?: string): Promise<T> } | null = null;

  /** Resolve after the configured operation latency (in simulated time), or when the scheduler says. */
  delay(label = 'op'): Promise<void> {
    if (this.scheduler !== null) return this.scheduler.schedule(Promise.resolve(), label);
    const ms = this.faults.opDelayMs;
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => this.clock.setTimeout(resolve, ms));
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  changed(): void {
    for (const listener of [...this.listeners]) listener();
  }

  newOwner(): number {
    const id = this.owners.size + 1;
    this.owners.set(id, { alive: true });
    return id;
  }

  newClaimName(owner: number): string {
    this.claimCounter += 1;
    return `claimed-${owner}-${this.claimCounter}`;
  }

  /** Create a job process, paused until its starter lets it go. */
  spawn(runId: string, spec: JobSpec, starter: number): Proc {
    const proc: Proc = {
      pid: this.nextPid++,
      startTime: this.now,
      boot: this.boot,
      runId,
      starter,
      alive: true,
      paused: true,
      runsForMs: spec.runsForMs,
      exitCode: spec.exitCode,
      ignoresSigint: spec.ignoresSigint,
    };
    this.procs.set(proc.pid, proc);
    return proc;
  }

  /** A supervisor died: jobs it had not let go yet see their go pipe close and exit unrun. */
  ownerDied(owner: number): void {
    const entry = this.owners.get(owner);
    if (entry) entry.alive = false;
    for (const proc of this.procs.values()) {
      if (proc.alive && proc.paused && proc.starter === owner) this.exit(proc, 127, null, true);
    }
  }

  /** Let a paused job run its program. */
  release(proc: Proc): void {
    proc.paused = false;
    if (proc.runsForMs !== null) {
      this.clock.setTimeout(() => this.exit(proc, proc.exitCode, null), proc.runsForMs);
    }
  }

  /** The job exits; its monitor records the exit unless told to die with it. */
  exit(proc: Proc, code: number | null, signal: string | null, notStarted = false): void {
    if (!proc.alive || proc.boot !== this.boot) return;
    proc.alive = false;
    this.diedAt.set(proc.runId, this.now);
    if (!this.faults.monitorDies) {
      const exit = { code, signal, endedAt: this.now, ...(notStarted ? { notStarted } : {}) };
      if (this.faults.monitorStopped || this.faults.diskRefuses !== null)
        this.pendingExits.set(proc.runId, exit);
      else this.exits.set(proc.runId, exit);
    }
    if (this.faults.reusePids) {
      // Another program gets the same pid at once: only the start time tells them apart.
      this.procs.set(proc.pid, {
        ...proc,
        runId: 'stranger',
        startTime: this.now + 1,
        alive: true,
        paused: false,
      });
    }
    this.changed();
  }

  /** Find the live process a handle names, or null when it is gone or not the same process. */
  resolve(handle: JobHandle): Proc | null {
    const proc = this.procs.get(Number(handle.pid));
    if (proc === undefined || !proc.alive) return null;
    if (proc.boot !== Number(handle.boot) || proc.startTime !== Number(handle.startTime)) return null;
    return proc;
  }

  /** Deliver a signal to the process a handle names, checking identity first (unless broken). */
  signal(handle: JobHandle, sig: 'SIGINT' | 'SIGKILL'): void {
    const byPid = this.procs.get(Number(handle.pid));
    const target = this.faults.skipIdentityCheck ? (byPid?.alive ? byPid : null) : this.resolve(handle);
    if (target === null) return;
    if (target.runId === 'stranger' || target.startTime !== Number(handle.startTime)) {
      this.incidents.push({ at: this.now, what: `${sig} sent to pid ${target.pid}, not the recorded job` });
    }
    if (target.paused) {
      // Not yet running its program: any signal ends it before it ever ran.
      this.exit(target, null, sig, true);
      return;
    }
    if (sig === 'SIGKILL') {
      this.clock.setTimeout(() => this.exit(target, null, 'SIGKILL'), sigkillExitDelayMs);
    } else if (!target.ignoresSigint) {
      this.clock.setTimeout(() => this.exit(target, 130, null), sigintExitDelayMs);
    }
  }

  /**
   * Ask the job's monitor to abort (SIGUSR1 with the grace file written): it SIGINTs the job and
   * SIGKILLs it `graceMs` later on its own, whoever dies meanwhile. A second request adds nothing.
   * A stopped monitor cannot escalate: a deadline that passes while it is stopped is carried out
   * when it is resumed. Returns false when the monitor is gone (the caller then signals the job).
   */
  deliverAbort(runId: string, handle: JobHandle, graceMs: number): boolean {
    if (this.resolve(handle) === null) return false;
    if (this.delivered.has(runId)) return true;
    this.delivered.set(runId, { at: this.now, graceMs });
    this.signal(handle, 'SIGINT');
    const kill = (): void => {
      if (this.resolve(handle) !== null) this.signal(handle, 'SIGKILL');
    };
    this.clock.setTimeout(() => {
      if (this.faults.monitorStopped) this.pendingEscalations.push(kill);
      else kill();
    }, graceMs);
    return true;
  }

  /**
   * SIGINT the job's group directly, not through its monitor (it is gone, or the grace file could
   * not be written): only `owner`'s own grace timer escalates, so it counts as carried out only
   * while that supervisor lives.
   */
  interruptDirectly(runId: string, handle: JobHandle, owner: number): void {
    this.signal(handle, 'SIGINT');
    this.interruptedBy.set(runId, owner);
  }

  /** Write a run's abort record (merging with what is there: SIGKILL asked stays asked). */
  recordAbort(runId: string, request: AbortRequest): void {
    const prior = this.aborts.get(runId);
    const merged: AbortRequest = {
      ...request,
      forced: request.forced || prior?.forced === true,
      interruptedAt: request.interruptedAt ?? prior?.interruptedAt ?? null,
    };
    this.aborts.set(runId, merged);
    if (!this.abortRecordedAt.has(runId)) this.abortRecordedAt.set(runId, this.now);
    if (merged.forced && !this.forcedAt.has(runId)) this.forcedAt.set(runId, this.now);
    this.changed();
  }

  /** A run whose job died but whose monitor still lives (stopped, or retrying its exit record). */
  monitorHolds(runId: string): boolean {
    return this.pendingExits.has(runId);
  }

  /** SIGSTOP every monitor. */
  stopMonitors(): void {
    this.faults.monitorStopped = true;
  }

  /** SIGCONT every monitor: pending escalations run, pending exits are recorded if the disk allows. */
  resumeMonitors(): void {
    if (!this.faults.monitorStopped) return;
    this.faults.monitorStopped = false;
    this.monitorsResumedAt = this.now;
    for (const kill of this.pendingEscalations.splice(0)) kill();
    this.flushExits();
  }

  /** The disk takes writes again (or starts refusing them with `errno`). */
  setDiskRefuses(errno: DiskErrno | null): void {
    this.faults.diskRefuses = errno;
    this.flushExits();
  }

  /** Record the exits monitors kept, when they can write (running, and the disk takes writes). */
  private flushExits(): void {
    if (this.faults.monitorStopped || this.faults.diskRefuses !== null || this.pendingExits.size === 0)
      return;
    for (const [runId, exit] of this.pendingExits) this.exits.set(runId, exit);
    this.pendingExits.clear();
    this.changed();
  }

  /** The machine reboots: every process dies without an exit record; the boot id changes. */
  reboot(): void {
    for (const proc of this.procs.values()) proc.alive = false;
    // Monitors die with the machine: what they kept is lost, as on a real reboot.
    this.pendingExits.clear();
    this.pendingEscalations = [];
    this.faults.monitorStopped = false;
    for (const owner of this.owners.values()) owner.alive = false;
    this.boot += 1;
    this.changed();
  }

  /**
   * The lock file becomes unreadable or names an invalid identity — at any time, also while its
   * job runs (a damaged disk, a user's editor, a buggy tool). An absent lock becomes a stray one.
   */
  corruptLock(detail: string): void {
    const slot = this.lock;
    const runId = slot === null ? null : slot.kind === 'record' ? slot.record.runId : slot.runId;
    this.lock = { kind: 'corrupt', detail, runId };
    this.changed();
  }

  /** The first claim file becomes unreadable. Returns false when there is no claim. */
  corruptClaim(detail: string): boolean {
    const first = this.claims.entries().next();
    if (first.done) return false;
    const [name, claim] = first.value;
    this.claims.set(name, { ...claim, corrupt: detail });
    this.changed();
    return true;
  }

  /** Append a lifecycle journal entry, numbered after the journal's last unless `seq` is forced. */
  journalAppend(runId: string, seq?: number): void {
    const seqs = this.journal.get(runId) ?? [];
    seqs.push(seq ?? (seqs.at(-1) ?? 0) + 1);
    this.journal.set(runId, seqs);
  }

  liveJobs(): Proc[] {
    return [...this.procs.values()].filter((p) => p.alive && p.runId !== 'stranger');
  }

  /** The run a lock slot or claim names, if any. */
  lockedRuns(): Set<string> {
    const runs = new Set<string>();
    if (this.lock?.kind === 'record') runs.add(this.lock.record.runId);
    if (this.lock?.kind === 'corrupt' && this.lock.runId !== null) runs.add(this.lock.runId);
    for (const claim of this.claims.values()) runs.add(claim.record.runId);
    return runs;
  }

  /** A requeue discards a run directory: only one whose job never ran and that has no record. */
  recordDiscard(runId: string): void {
    this.discarded.add(runId);
    // The run directory goes, with the exit and abort records it held.
    this.runCopies.delete(runId);
    this.exits.delete(runId);
    this.aborts.delete(runId);
    const ran = [...this.procs.values()].some((p) => p.runId === runId && !p.paused);
    if (ran) this.incidents.push({ at: this.now, what: `discarded run ${runId}, whose job ran` });
    if (this.history.has(runId)) {
      this.incidents.push({ at: this.now, what: `discarded run ${runId}, which has its history record` });
    }
    this.changed();
  }

  recordDelete(runId: string, outcome: Outcome): void {
    this.deleted.add(runId);
    const live = this.liveJobs().some((p) => p.runId === runId);
    if (live) this.incidents.push({ at: this.now, what: `deleted the directory of live run ${runId}` });
    if (outcome === 'finished') {
      this.incidents.push({ at: this.now, what: `deleted the directory of finished run ${runId}` });
    }
  }
}
