// Runs the real machine against the model world: N supervisor processes (actors) that can be
// started, commanded and crashed, one simulated clock, and a journal of their transitions.
import { type Actor, createActor } from 'xstate';
import { lifecycleMachine } from '../machine/lifecycle.ts';
import type { RetentionPolicy, RunConfig } from '../machine/types.ts';
import { fakeRuntime } from './fake-runtime.ts';
import { SteppingClock } from './stepping-clock.ts';
import { type Faults, World } from './world.ts';

/** Delays used in simulation, small so histories cover many lifecycles. */
export const simDelays = {
  startTimeoutMs: 1_000,
  killTimeoutMs: 200,
  starterRecheckMs: 50,
} as const;

/** Retry back-off and bound in simulation: 50 ms doubling to 400 ms, 6 attempts. */
export const simRetry = { baseMs: 50, capMs: 400, attemptsMax: 6 } as const;

export const defaultRetention: RetentionPolicy = {
  finished: 'keep',
  failed: 'delete',
  aborted: 'delete',
  orphaned: 'keep',
};

/** The machine as the simulation runs it; tests may pass a broken variant instead. */
export type MachineUnderTest = typeof lifecycleMachine;

export interface Supervisor {
  readonly ownerId: number;
  readonly actor: Actor<MachineUnderTest>;
  /** When it booted (simulated ms). */
  readonly bootedAt: number;
  alive: boolean;
  /** Since when (simulated ms) it has been busy (not resting in a settled state); null while resting. */
  busySince: number | null;
}

let runCounter = 0;

/** A run config for a model job; `argv` encodes its behaviour (see jobSpecOf). */
export function modelConfig(
  argv: readonly string[],
  graceMs = 500,
  stallAfterMs: number | null = null,
): RunConfig {
  runCounter += 1;
  return {
    runId: `run-${runCounter}`,
    name: 'model',
    argv,
    cwd: '/model',
    env: {},
    graceMs,
    stallAfterMs,
    abortOnStall: false,
    retention: defaultRetention,
  };
}

/** The ports a supervisor gets; mutation tests replace some with broken ones. */
export type Ports = ReturnType<typeof fakeRuntime>;

export interface SimulationOptions {
  readonly faults?: Partial<Faults>;
  readonly machine?: MachineUnderTest;
  /** Replace ports of every supervisor (given the world, its owner id and the faithful ports). */
  readonly ports?: (world: World, ownerId: number, faithful: Ports) => Partial<Ports>;
  /** Delays over the simulation's own (mutation tests stretch them). */
  readonly delays?: Readonly<Record<string, number>>;
  /** 'shared': each entry numbered after the journal's last (correct); 'per-actor': a bug to catch. */
  readonly journal?: 'shared' | 'per-actor';
}

export class Simulation {
  readonly clock = new SteppingClock();
  readonly world: World;
  readonly supervisors: Supervisor[] = [];
  private readonly options: SimulationOptions;

  constructor(options: SimulationOptions = {}) {
    this.world = new World(this.clock, options.faults);
    this.options = options;
    // A failpoint in a port kills its own supervisor, as SIGKILL at that line would.
    this.world.crashOwner = (owner) => {
      const s = this.supervisors.find((x) => x.ownerId === owner);
      if (s !== undefined) this.crash(s);
    };
  }

  /** Boot a new supervisor process: it starts in recovery like any runwarden process. */
  boot(): Supervisor {
    const ownerId = this.world.newOwner();
    const faithful = fakeRuntime(this.world, ownerId);
    const actors = { ...faithful, ...this.options.ports?.(this.world, ownerId, faithful) };
    const machine = this.options.machine ?? lifecycleMachine;
    const logic = machine.provide({ actors, delays: { ...simDelays, ...this.options.delays } });
    const actor = createActor(logic, { clock: this.clock, input: { retry: simRetry } });
    const supervisor: Supervisor = {
      ownerId,
      actor,
      bootedAt: this.clock.now(),
      alive: true,
      busySince: this.clock.now(),
    };
    let last = '';
    const ownSeq = new Map<string, number>();
    actor.subscribe((snapshot) => {
      if (snapshot.hasTag('settled')) supervisor.busySince = null;
      else supervisor.busySince ??= this.clock.now();
      const runId = snapshot.context.run?.runId;
      const value = JSON.stringify(snapshot.value);
      if (runId !== undefined && value !== last) {
        if (this.options.journal === 'per-actor') {
          const seq = (ownSeq.get(runId) ?? 0) + 1;
          ownSeq.set(runId, seq);
          this.world.journalAppend(runId, seq);
        } else {
          this.world.journalAppend(runId);
        }
      }
      last = value;
    });
    actor.start();
    this.supervisors.push(supervisor);
    return supervisor;
  }

  /** SIGKILL a supervisor: its actor vanishes; what it wrote to the world stays. */
  crash(supervisor: Supervisor): void {
    if (!supervisor.alive) return;
    supervisor.alive = false;
    supervisor.actor.stop();
    this.world.ownerDied(supervisor.ownerId);
  }

  living(): Supervisor[] {
    return this.supervisors.filter((s) => s.alive);
  }

  /**
   * Bring the world to rest: clear faults, boot a fresh supervisor, force-abort whatever still
   * runs and let time pass until it is idle. Bounded; returns false if rest was not reached.
   */
  async settle(roundsMax = 20): Promise<boolean> {
    Object.assign(this.world.faults, { spawnFails: false, opDelayMs: 0, abortCrashAfter: null });
    this.world.setDiskRefuses(null);
    this.world.resumeMonitors();
    for (const s of this.living()) this.crash(s);
    for (let round = 0; round < roundsMax; round++) {
      const s = this.boot();
      await this.clock.advance(simDelays.starterRecheckMs * 4);
      const snap = s.actor.getSnapshot();
      const w = this.world;
      if (snap.matches('idle') && w.liveJobs().length === 0 && w.claims.size === 0 && w.lock === null) {
        return true;
      }
      if (snap.hasTag('live')) s.actor.send({ type: 'run.force', at: this.clock.now() });
      await this.clock.advance(simDelays.killTimeoutMs + simDelays.startTimeoutMs);
      this.crash(s);
    }
    return false;
  }
}
