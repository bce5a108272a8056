// One actor of the lifecycle machine on the local runtime, with bounded waits and the journal.
import { type Actor, createActor, type InspectionEvent } from 'xstate';
import { lifecycleMachine } from '../../machine/lifecycle.ts';
import { changesNothing } from '../../machine/recovery.ts';
import type { RetryPolicy } from '../../machine/retry.ts';
import type { ErrorInfo } from '../../machine/types.ts';
import { appendLine } from '../../runtime/fs/ndjson-append.ts';
import { type Layout, layoutOf } from '../../runtime/local/layout.ts';
import { type LocalRuntimeOptions, localRuntime } from '../../runtime/local/ports.ts';
import { RunwardenError } from './errors.ts';
import { journalLine, journalPath } from './journal.ts';
import type { LifecycleSnapshot } from './status-view.ts';

/** Timing of the machine's named delays (all in ms); defaults are the machine's own. */
export interface Timing {
  readonly startTimeoutMs?: number;
  readonly killTimeoutMs?: number;
  readonly starterRecheckMs?: number;
}

export interface SessionOptions {
  readonly workspace: string;
  readonly timing?: Timing;
  /** Back-off and bound of failed claims and finalising steps (default: the machine's). */
  readonly retry?: Partial<RetryPolicy>;
  /** How often a watched job is probed (the exit record is also watched by inotify). */
  readonly pollMs?: number;
  /** Forward inspection events to this WebSocket inspector (ws:// or wss://); never blocks the run. */
  readonly inspectUrl?: string;
  /** Issue 12: the slot this actor's lock is (default slot 0), the layouts of a run's slots, the base environment and the monitor's kick of a started job. */
  readonly runtime?: Pick<LocalRuntimeOptions, 'slot' | 'slotLayouts' | 'baseEnv' | 'kick'>;
}

/** Inspection events kept while the forwarder loads (it is imported only when asked for). */
const pendingInspectionMax = 1_000;

/** A running actor of the lifecycle machine for one workspace. Stop it when done. */
export class Session {
  readonly layout: Layout;
  readonly actor: Actor<typeof lifecycleMachine>;

  constructor(options: SessionOptions) {
    this.layout = layoutOf(options.workspace, options.runtime?.slot);
    const timing = Object.fromEntries(
      Object.entries(options.timing ?? {}).filter(([, v]) => v !== undefined),
    );
    const logic = lifecycleMachine.provide({
      actors: localRuntime({
        ...options.runtime,
        workspace: options.workspace,
        ...(options.pollMs ? { pollMs: options.pollMs } : {}),
      }),
      delays: timing,
    });
    const forward = options.inspectUrl === undefined ? null : this.startForwarding(options.inspectUrl);
    let previous: unknown = null;
    let previousRunId: string | undefined;
    this.actor = createActor(logic, {
      input: options.retry === undefined ? {} : { retry: options.retry },
      inspect: (inspection: InspectionEvent) => {
        forward?.(inspection);
        if (inspection.type !== '@xstate.snapshot' || inspection.actorRef !== this.actor) return;
        const snap = inspection.snapshot as LifecycleSnapshot;
        // Entering idle clears the run: that last step belongs to the run just left.
        const runId = snap.context.run?.runId ?? previousRunId;
        const recovery = this.recovery;
        if (recovery !== null && !changesNothing(snap.context.decision)) this.recoveryChanged = true;
        if (runId !== undefined && JSON.stringify(snap.value) !== JSON.stringify(previous)) {
          const line = journalLine(previous, snap, inspection.event);
          if (recovery === null) appendLine(this.layout.root, journalPath(this.layout, runId), line);
          else recovery.push({ runId, line });
        }
        // The first rest ends recovery: a look (idle, or the same live run re-attached) is
        // dropped; anything that changed the run (finalise, resume an abort, quarantine) is written.
        if (recovery !== null && snap.hasTag('settled')) this.flushRecovery(snap);
        previous = snap.value;
        previousRunId = snap.context.run?.runId;
      },
    });
  }

  /** Start the actor (it begins by recovering the workspace). */
  static open(options: SessionOptions): Session {
    const session = new Session(options);
    session.actor.start();
    return session;
  }

  snapshot(): LifecycleSnapshot {
    return this.actor.getSnapshot();
  }

  /** Resolve with the first snapshot that satisfies `done`; reject after `timeoutMs` naming `what`. */
  waitFor(
    done: (snap: LifecycleSnapshot) => boolean,
    what: string,
    timeoutMs: number,
  ): Promise<LifecycleSnapshot> {
    return new Promise((resolve, reject) => {
      const check = (snap: LifecycleSnapshot) => {
        if (!done(snap)) return false;
        clearTimeout(timer);
        sub.unsubscribe();
        resolve(snap);
        return true;
      };
      const timer = setTimeout(() => {
        sub.unsubscribe();
        const doing = doingOf(this.actor.getSnapshot());
        reject(
          new RunwardenError('RW_TIMEOUT', `timed out after ${timeoutMs} ms waiting for ${what}; ${doing}`),
        );
      }, timeoutMs);
      const sub = this.actor.subscribe({
        next: check,
        error: (error) => {
          clearTimeout(timer);
          reject(
            new RunwardenError('RW_INTERNAL', `the lifecycle machine failed: ${String(error)}`, {
              cause: error,
            }),
          );
        },
      });
      check(this.actor.getSnapshot());
    });
  }

  /**
   * Wait until recovery is over and the machine rests (idle, live or halted). When finalising a
   * run is stuck on an operating error (a full disk, permissions), the machine retries for as
   * long as it lives; this rejects with that error at once rather than with a bare timeout (the
   * claim stays on disk for the next runwarden process, which re-claims it once this one ended).
   */
  async settled(timeoutMs: number): Promise<LifecycleSnapshot> {
    const snap = await this.waitFor(
      (s) => s.hasTag('settled') || stuckError(s) !== null,
      'the workspace to settle (recovery)',
      timeoutMs,
    );
    throwIfStuck(snap);
    return snap;
  }

  stop(): void {
    // Stopped before resting (a stuck finalise, a timeout): what recovery did is still written.
    if (this.recovery !== null) this.flushRecovery(this.actor.getSnapshot());
    this.actor.stop();
    this.stopped = true;
    this.forwarder?.stop();
  }

  /** Journal lines held back until recovery ends (null once it has). */
  private recovery: { runId: string; line: ReturnType<typeof journalLine> }[] | null = [];

  /** Whether any decision during recovery changed something (then its lines are written). */
  private recoveryChanged = false;

  /** End recovery: write its held-back lines unless they only recorded a look. */
  private flushRecovery(snap: LifecycleSnapshot): void {
    const held = this.recovery ?? [];
    this.recovery = null;
    if (!this.recoveryChanged && changesNothing(snap.context.decision)) return;
    for (const r of held) appendLine(this.layout.root, journalPath(this.layout, r.runId), r.line);
  }

  private stopped = false;
  private forwarder: { observer: { next?: (e: InspectionEvent) => void }; stop(): void } | null = null;

  /** Load the forwarder lazily; until it is there, keep a bounded backlog of events. */
  private startForwarding(url: string): (e: InspectionEvent) => void {
    const pending: InspectionEvent[] = [];
    void import('./inspect-forwarder.ts').then(({ forwardInspection }) => {
      if (this.stopped) return;
      this.forwarder = forwardInspection(url);
      for (const e of pending.splice(0)) this.forwarder.observer.next?.(e);
    });
    return (e) => {
      if (this.forwarder !== null) this.forwarder.observer.next?.(e);
      else if (pending.length < pendingInspectionMax) pending.push(e);
    };
  }
}

/** What the machine is doing, for a timeout's message: its state, run and last error. */
export function doingOf(snap: LifecycleSnapshot): string {
  const state = stateName(snap.value);
  const run = snap.context.run?.runId ?? null;
  const waitingFor =
    snap.context.decision?.kind === 'wait'
      ? ` (run ${snap.context.decision.record.runId} is still being started by another runwarden process)`
      : '';
  const error = snap.context.error === null ? '' : `; last error: ${snap.context.error.message}`;
  return `it is in ${state}${run === null ? '' : ` for ${run}`}${waitingFor}${error}`;
}

/** A state value as a dotted path: `recovering.waiting`. */
function stateName(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return String(value);
  return Object.entries(value)
    .map(([key, sub]) => `${key}.${stateName(sub)}`)
    .join(', ');
}

/** The error a snapshot is stuck on outside a resting state (finalising that keeps failing). */
export function stuckError(snap: LifecycleSnapshot): ErrorInfo | null {
  return snap.hasTag('stuck') && !snap.hasTag('settled') ? snap.context.error : null;
}

/** Throw the error a snapshot is stuck on, if any. */
export function throwIfStuck(snap: LifecycleSnapshot): void {
  const error = stuckError(snap);
  if (error !== null) throw RunwardenError.of(error);
}
