// Runs the real dispatch machine against the model queue world: dispatcher processes (actors over
// fake ports) that can be started, kicked by monitors, crashed at any step; submitters; users'
// queue commands; one simulated clock.
import { type Actor, createActor } from 'xstate';
import { type DispatchReport, dispatchMachine } from '../machine/dispatch.ts';
import type { QueueEntry, SlotSpec } from '../machine/queue-types.ts';
import type { RunConfig } from '../machine/types.ts';
import { defaultRetention, simRetry } from './harness.ts';
import { type DispatchPorts, queuePorts, startOnSlots } from './queue-ports.ts';
import { type QueueFaults, QueueWorld, slotSpecs } from './queue-world.ts';
import { SteppingClock } from './stepping-clock.ts';

export type DispatchMachineUnderTest = typeof dispatchMachine;

export interface Dispatcher {
  readonly id: number;
  readonly actor: Actor<DispatchMachineUnderTest>;
  /** Booted by a monitor's kick (not by a command). */
  readonly kicked: boolean;
  alive: boolean;
  report: DispatchReport | null;
}

export interface QueueSimulationOptions {
  readonly slots?: readonly SlotSpec[];
  readonly faults?: Partial<QueueFaults>;
  readonly machine?: DispatchMachineUnderTest;
  /** Replace ports of every dispatcher (mutation tests). */
  readonly ports?: (world: QueueWorld, me: number, faithful: DispatchPorts) => Partial<DispatchPorts>;
  readonly roundsMax?: number;
  /** Recover each slot and start each run with the real lifecycle machine (default: one model step). */
  readonly slotActors?: boolean;
}

/** What a submitter asks for; the job runs `ms` then exits with `code`. */
export interface SubmitSpec {
  readonly ms: number;
  readonly code: number;
  readonly priority?: number;
  readonly gpus?: number;
  readonly after?: readonly string[];
  readonly afterOk?: readonly string[];
  readonly held?: boolean;
}

export class QueueSimulation {
  readonly clock = new SteppingClock();
  readonly world: QueueWorld;
  readonly dispatchers: Dispatcher[] = [];
  /** Every state value a dispatcher rested in (for coverage checks). */
  readonly visited = new Set<string>();
  private readonly options: QueueSimulationOptions;
  private runs = 0;

  constructor(options: QueueSimulationOptions = {}) {
    this.options = options;
    // Default: 2 GPUs with 2 slots each (two small jobs per GPU), 1 GPU with one, 1 plain slot.
    const slots = options.slots ?? [...slotSpecs(2, 2, 0), ...slotSpecs(1, 1, 1).map(shift(4, 2))];
    this.world = new QueueWorld(this.clock, slots, options.faults);
    this.world.kick = () => {
      this.dispatch(true);
    };
  }

  /** Boot a dispatcher process running one dispatch to its end; it exits then. */
  dispatch(kicked = false): Dispatcher {
    const id = this.world.newProcess();
    const faithful = queuePorts(this.world, id, this.options.slotActors === true);
    const actors = { ...faithful, ...this.options.ports?.(this.world, id, faithful) };
    const machine = this.options.machine ?? dispatchMachine;
    const logic = machine.provide({ actors });
    const actor = createActor(logic, {
      clock: this.clock,
      input: { retry: simRetry, roundsMax: this.options.roundsMax ?? 8 },
    });
    const d: Dispatcher = { id, actor, kicked, alive: true, report: null };
    actor.subscribe({
      next: (snapshot) => {
        this.visited.add(JSON.stringify(snapshot.value));
      },
      complete: () => {
        d.report = actor.getSnapshot().output ?? null;
        d.alive = false;
        this.world.processDied(id);
      },
    });
    this.dispatchers.push(d);
    actor.start();
    return d;
  }

  /** SIGKILL a dispatcher at whatever step it is in. */
  crash(d: Dispatcher): void {
    if (!d.alive) return;
    d.alive = false;
    d.actor.stop();
    this.world.processDied(d.id);
  }

  living(): Dispatcher[] {
    return this.dispatchers.filter((d) => d.alive);
  }

  /** Publish a new queue entry (whole, in one step, as tmp + link does). */
  submit(spec: SubmitSpec): QueueEntry {
    this.runs += 1;
    const runId = `q-${String(this.runs).padStart(3, '0')}`;
    const config: RunConfig = {
      runId,
      name: runId,
      argv: ['job', String(spec.ms), String(spec.code)],
      cwd: '/model',
      env: {},
      graceMs: 100,
      stallAfterMs: null,
      abortOnStall: false,
      retention: defaultRetention,
      fromQueue: true,
    };
    const entry: QueueEntry = {
      runId,
      priority: spec.priority ?? 0,
      submittedAt: this.clock.now(),
      held: spec.held ?? false,
      needs: { gpus: spec.gpus ?? 0, after: spec.after ?? [], afterOk: spec.afterOk ?? [] },
      config,
    };
    this.world.submit(entry);
    return entry;
  }

  /**
   * `runwarden start` (not the queue): a process takes the lowest slot free now, then starts the
   * job there — run now or refuse; it may race a dispatcher for that slot. Returns the answer.
   */
  async startDirect(spec: SubmitSpec): Promise<'started' | 'conflict' | 'no-slot'> {
    const w = this.world;
    const free = w.slots.findIndex((_, i) => !w.slotBusy(i));
    const slot = w.slots[free];
    if (slot === undefined) return 'no-slot';
    this.runs += 1;
    const runId = `d-${String(this.runs).padStart(3, '0')}`;
    const me = w.newProcess();
    const step = async (label: string) => {
      await w.delay(`${label}#${me}`);
      if (!w.alive(me)) await new Promise<never>(() => {});
    };
    const config: RunConfig = {
      runId,
      name: runId,
      argv: ['job', String(spec.ms), String(spec.code)],
      cwd: '/model',
      env: {},
      graceMs: 100,
      stallAfterMs: null,
      abortOnStall: false,
      retention: defaultRetention,
    };
    const entry: QueueEntry = {
      runId,
      priority: 0,
      submittedAt: w.now,
      held: false,
      needs: { gpus: 0, after: [], afterOk: [] },
      config,
    };
    const answer = await startOnSlots(w, me, { runId, name: runId, entry }, [slot.name], () => 1, step);
    // The command exits once its job runs (or it was refused).
    w.processDied(me);
    return answer.ok ? (answer.value === 'started' ? 'started' : 'conflict') : 'conflict';
  }

  pause(): void {
    this.world.hold = { reason: 'paused', since: this.clock.now() };
  }

  /** `queue resume`: the hold goes and the queue's boot id is the current one. */
  resume(): void {
    this.world.hold = null;
    this.world.queueBoot = this.world.boot;
  }

  /** `queue release` / `queue hold` of a waiting entry (claim, rewrite, publish: one step here). */
  setHeld(runId: string, held: boolean): void {
    const e = this.world.entries.get(runId);
    if (e !== undefined) this.world.entries.set(runId, { ...e, held });
  }

  /** The machine reboots: every process dies at once, no monitor records an exit or kicks. */
  reboot(): void {
    this.world.reboot();
    for (const d of this.living()) this.crash(d);
  }

  /** Whether nothing is left to do: no entry, claim, lock, live job or dispatcher. */
  quiet(): boolean {
    const w = this.world;
    return (
      w.entries.size === 0 &&
      w.entryClaims.size === 0 &&
      w.locks.every((l) => l === null) &&
      w.slotClaims.size === 0 &&
      w.liveJobs().length === 0 &&
      this.living().length === 0
    );
  }

  /**
   * Bring the world to rest: heal faults, resume the queue, release every held entry, then let time
   * pass and dispatch until nothing is left. Bounded; false if rest was not reached.
   */
  async settle(roundsMax = 60): Promise<boolean> {
    Object.assign(this.world.faults, { opDelayMs: 0, monitorDies: false });
    this.world.scheduler = null;
    this.resume();
    for (const runId of [...this.world.entries.keys()]) this.setHeld(runId, false);
    for (let round = 0; round < roundsMax; round++) {
      if (this.quiet()) return true;
      this.dispatch();
      await this.clock.advance(500);
    }
    return this.quiet();
  }
}

/** Renumber slot specs to follow `offset` earlier ones, their GPUs after `gpuOffset` GPUs. */
function shift(offset: number, gpuOffset: number) {
  return (s: SlotSpec, i: number): SlotSpec => {
    const gpu =
      s.gpu === null
        ? null
        : {
            index: s.gpu.index + gpuOffset,
            uuid: `GPU-${s.gpu.index + gpuOffset}`,
            busId: `0000:0${s.gpu.index + gpuOffset}:00.0`,
          };
    const name = gpu === null ? `slot${offset + i}` : `gpu${gpu.index}a`;
    return { ...s, name, index: offset + i, gpu };
  };
}
