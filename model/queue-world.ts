// The reference model of a workspace with slots and a queue (issue 12): slot locks, queue entries
// and their claims, the hold, job processes with identities, dispatcher processes, history and run
// directories, on one simulated clock. Every operation is one atomic step, like a rename or an
// O_EXCL create. The ground truth the invariants judge is in model/queue-truth.ts.
import type { SimulatedClock, SnapshotFrom } from 'xstate';
import type { lifecycleMachine } from '../machine/lifecycle.ts';
import type { QueueEntry, QueueHold, SlotSpec } from '../machine/queue-types.ts';
import type { ExitRecord, HistoryEntry, JobHandle, LockRecord, OwnerHandle } from '../machine/types.ts';

/** A slot's lifecycle actor as the world keeps it (model/queue-lifecycle.ts). */
export interface SlotActor {
  stop(): void;
  getSnapshot(): SnapshotFrom<typeof lifecycleMachine>;
}

/** A job process; paused until its starter lets it go (it dies unrun if the starter dies first). */
export interface QueueProc {
  readonly pid: number;
  readonly startTime: number;
  readonly boot: number;
  readonly runId: string;
  readonly starter: number;
  alive: boolean;
  paused: boolean;
  readonly runsForMs: number;
  readonly exitCode: number;
}

/** A claimed queue entry file: the entry and the process whose rename took it. */
export interface EntryClaimFile {
  readonly entry: QueueEntry;
  readonly claimer: number;
}

export interface QueueFaults {
  /** Latency of every operation in simulated ms (0: a microtask). */
  opDelayMs: number;
  /** The job's monitor dies with it: no exit record, no kick. */
  monitorDies: boolean;
  /** An exited job's pid is taken at once by an unrelated process (only the start time differs). */
  reusePids: boolean;
  /** Monitors kick a dispatch when their job exits (the no-daemon path). */
  kicks: boolean;
}

/** A GPU workspace: `perGpu` slots on each of `gpus` GPUs, then `plain` slots without a GPU. */
export function slotSpecs(gpus: number, perGpu: number, plain: number): SlotSpec[] {
  const specs: SlotSpec[] = [];
  for (let g = 0; g < gpus; g++) {
    for (let k = 0; k < perGpu; k++) {
      const gpu = { index: g, uuid: `GPU-${g}`, busId: `0000:0${g}:00.0` };
      specs.push({ name: `gpu${g}${'abc'[k] ?? k}`, index: specs.length, env: {}, gpu });
    }
  }
  for (let p = 0; p < plain; p++)
    specs.push({ name: `slot${specs.length}`, index: specs.length, env: {}, gpu: null });
  return specs;
}

export class QueueWorld {
  readonly clock: SimulatedClock;
  readonly slots: readonly SlotSpec[];
  readonly faults: QueueFaults;
  boot = 1;
  /** The boot id the queue last dispatched under (queue/boot). */
  queueBoot = 1;
  hold: QueueHold | null = null;
  readonly locks: (LockRecord | null)[];
  /** Slot locks a finaliser renamed aside (the real lifecycle's claims), by claim name. */
  readonly slotClaims = new Map<
    string,
    { readonly slot: number; readonly record: LockRecord; readonly claimer: number }
  >();
  /** Lifecycle actors each process runs (stopped when it dies). */
  readonly actorsOf = new Map<number, Set<SlotActor>>();
  readonly entries = new Map<string, QueueEntry>();
  readonly entryClaims = new Map<string, EntryClaimFile>();
  readonly procs = new Map<number, QueueProc>();
  /** Dispatcher (and other runwarden) processes: alive, and on which boot. */
  readonly processes = new Map<number, { alive: boolean; boot: number }>();
  readonly exits = new Map<string, ExitRecord>();
  readonly history = new Map<string, HistoryEntry>();
  readonly historyCreations = new Map<string, number>();
  readonly runDirs = new Set<string>();
  readonly discarded = new Set<string>();
  /** Every entry ever submitted, as first published. */
  readonly submitted = new Map<string, QueueEntry>();
  /** How often each run's job was let go (ran its program): at most once. */
  readonly released = new Map<string, number>();
  /** The slots each run locked (ground truth, by run id). */
  readonly runSlots = new Map<string, readonly string[]>();
  /** Per dispatcher: the eligible entries of its last read, in queue order. */
  readonly lastRead = new Map<number, readonly string[]>();
  readonly incidents: string[] = [];
  /** Set by the simulation: a monitor's kick boots a dispatcher. */
  kick: () => void = () => {};
  scheduler: { schedule<T>(task: Promise<T>, label?: string): Promise<T> } | null = null;
  private nextPid = 1_000;
  private nextProcess = 1;
  private claimCounter = 0;

  constructor(clock: SimulatedClock, slots: readonly SlotSpec[], faults: Partial<QueueFaults> = {}) {
    this.clock = clock;
    this.slots = slots;
    this.locks = slots.map(() => null);
    this.faults = { opDelayMs: 0, monitorDies: false, reusePids: false, kicks: true, ...faults };
  }

  get now(): number {
    return this.clock.now();
  }

  /** Wait one operation's latency (or for the race scheduler to let it through). */
  delay(label = 'op'): Promise<void> {
    if (this.scheduler !== null) return this.scheduler.schedule(Promise.resolve(), label);
    const ms = this.faults.opDelayMs;
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => this.clock.setTimeout(resolve, ms));
  }

  newProcess(): number {
    const id = this.nextProcess++;
    this.processes.set(id, { alive: true, boot: this.boot });
    return id;
  }

  alive(process: number): boolean {
    const p = this.processes.get(process);
    return p?.alive === true && p.boot === this.boot;
  }

  ownerHandle(process: number): OwnerHandle {
    return { kind: 'model', id: process, boot: this.boot };
  }

  newClaimName(runId: string, claimer: number): string {
    this.claimCounter += 1;
    return `${runId}.json.claimed-${claimer}-${this.claimCounter}`;
  }

  /** A process ends (SIGKILL or exit): jobs it had not let go yet exit unrun. */
  processDied(process: number): void {
    const p = this.processes.get(process);
    if (p !== undefined) p.alive = false;
    for (const actor of this.actorsOf.get(process) ?? []) actor.stop();
    this.actorsOf.delete(process);
    for (const proc of this.procs.values()) {
      if (proc.alive && proc.paused && proc.starter === process) this.exit(proc, 127, true);
    }
  }

  submit(entry: QueueEntry): void {
    this.entries.set(entry.runId, entry);
    this.submitted.set(entry.runId, entry);
  }

  spawn(runId: string, argv: readonly string[], starter: number): QueueProc {
    const proc: QueueProc = {
      pid: this.nextPid++,
      startTime: this.now,
      boot: this.boot,
      runId,
      starter,
      alive: true,
      paused: true,
      runsForMs: Number(argv[1] ?? 100),
      exitCode: Number(argv[2] ?? 0),
    };
    this.procs.set(proc.pid, proc);
    return proc;
  }

  handleOf(proc: QueueProc): JobHandle {
    return { kind: 'model', pid: proc.pid, startTime: proc.startTime, boot: proc.boot };
  }

  /** Let a paused job run its program; it exits on its own `runsForMs` later. */
  release(proc: QueueProc): void {
    proc.paused = false;
    this.released.set(proc.runId, (this.released.get(proc.runId) ?? 0) + 1);
    this.clock.setTimeout(() => this.exit(proc, proc.exitCode), proc.runsForMs);
  }

  /** The job exits; its monitor records the exit and kicks a dispatch (unless it died with it). */
  exit(proc: QueueProc, code: number, notStarted = false): void {
    if (!proc.alive || proc.boot !== this.boot) return;
    proc.alive = false;
    if (this.faults.reusePids) {
      this.procs.set(proc.pid, {
        ...proc,
        runId: 'stranger',
        startTime: this.now + 1,
        alive: true,
        paused: false,
      });
    }
    if (this.faults.monitorDies) return;
    this.exits.set(proc.runId, {
      code,
      signal: null,
      endedAt: this.now,
      ...(notStarted ? { notStarted } : {}),
    });
    if (this.faults.kicks) this.kick();
  }

  /** The machine reboots: every process dies without an exit record; the boot id changes. */
  reboot(): void {
    for (const proc of this.procs.values()) proc.alive = false;
    for (const p of this.processes.values()) p.alive = false;
    for (const actors of this.actorsOf.values()) for (const actor of actors) actor.stop();
    this.actorsOf.clear();
    this.boot += 1;
  }

  liveJobs(): QueueProc[] {
    return [...this.procs.values()].filter((p) => p.alive && p.runId !== 'stranger' && p.boot === this.boot);
  }

  /** Whether some slot's lock (or a claim of one) names the run. */
  locked(runId: string): boolean {
    if (this.locks.some((l) => l?.runId === runId)) return true;
    for (const c of this.slotClaims.values()) if (c.record.runId === runId) return true;
    return false;
  }

  /** A slot is busy while its lock or a claim of it exists. */
  slotBusy(i: number): boolean {
    if (this.locks[i] !== null) return true;
    for (const c of this.slotClaims.values()) if (c.slot === i) return true;
    return false;
  }

  /** Write a run's one history record (idempotent per run id, as the history store is). */
  writeHistory(entry: HistoryEntry): void {
    if (this.history.has(entry.runId)) return;
    this.history.set(entry.runId, entry);
    this.historyCreations.set(entry.runId, (this.historyCreations.get(entry.runId) ?? 0) + 1);
  }

  /** A requeue removes the run directory: only one whose job never ran and has no record. */
  discard(runId: string): void {
    this.runDirs.delete(runId);
    // The directory held the exit record of the job that never ran: it goes with it (a restart of
    // the same run must not find the old exit; the deep pass found one requeued twice that way).
    this.exits.delete(runId);
    this.discarded.add(runId);
    if ((this.released.get(runId) ?? 0) > 0)
      this.incidents.push(`t=${this.now}: discarded run ${runId}, whose job ran`);
    if (this.history.has(runId))
      this.incidents.push(`t=${this.now}: discarded run ${runId}, which has its record`);
  }
}
