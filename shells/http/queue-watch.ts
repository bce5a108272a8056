// issue 12: the server's look at every slot and the queue. About once a second it asks the library
// for the status (which recovers every slot and dispatches: a free slot and an eligible entry
// start it, as any runwarden process does) and the queue, and publishes `slots` and `queue` events
// when they change. It decides nothing: the library and the machine do.
import type { QueueView } from '../api/queue.ts';
import type { RunView } from '../api/status-view.ts';
import { statusJson } from '../api/view-json.ts';
import type { Workspace, WorkspaceStatus } from '../api/workspace.ts';
import type { EventLog } from './event-log.ts';

/** Every slot, every active run and the queue's summary: `slots` in GET /api/status and the SSE `slots` event. */
export interface SlotsPicture {
  readonly slots: WorkspaceStatus['slots'];
  readonly runs: readonly unknown[];
  readonly queue: WorkspaceStatus['queue'] | null;
}

/** What identifies a change of slots worth an event (not elapsed times, not progress). */
function slotsSignature(view: WorkspaceStatus): string {
  return JSON.stringify([
    view.slots,
    view.runs.map((r) => [r.id, r.pid, r.startedAt, r.abort, r.monitorLost]),
    view.queue,
  ]);
}

/** Polls slots and queue, keeps the latest, publishes changes. */
export class QueueWatch {
  readonly #ws: Workspace;
  readonly #log: EventLog;
  readonly #timer: NodeJS.Timeout;
  #picture: SlotsPicture | null = null;
  #runs: readonly RunView[] = [];
  #queue: QueueView | null = null;
  #slotsSig = '';
  #queueSig = '';
  #running: Promise<void> | null = null;
  #closed = false;

  constructor(ws: Workspace, log: EventLog, pollMs: number) {
    this.#ws = ws;
    this.#log = log;
    this.#timer = setInterval(() => {
      if (this.#running === null) void this.refresh();
    }, pollMs);
    this.#timer.unref();
    void this.refresh();
  }

  /** The latest picture of every slot (after the first look completes). */
  async picture(): Promise<SlotsPicture> {
    if (this.#picture === null) await this.refresh();
    return this.#picture ?? { slots: [], runs: [], queue: null };
  }

  /** The latest picture if one was taken (for synchronous snapshots). */
  latest(): SlotsPicture | null {
    return this.#picture;
  }

  /** An active run of any slot as the latest look saw it (its status view), or null. */
  runOf(runId: string): RunView | null {
    return this.#runs.find((r) => r.id === runId) ?? null;
  }

  /** The latest queue view (after the first look completes). */
  async queue(): Promise<QueueView> {
    if (this.#queue === null) await this.refresh();
    return this.#queue ?? { hold: null, entries: [], corrupt: [] };
  }

  /** Look now (one look at a time: a caller during a look waits for it, then looks again). */
  async refresh(): Promise<void> {
    while (this.#running !== null) await this.#running;
    if (this.#closed) return;
    this.#running = this.#look().finally(() => {
      this.#running = null;
    });
    await this.#running;
  }

  async #look(): Promise<void> {
    try {
      const status = await this.#ws.status();
      const picture: SlotsPicture = {
        slots: status.slots,
        runs: statusJson(status).runs ?? [],
        queue: status.queue,
      };
      this.#picture = picture;
      this.#runs = status.runs;
      const slotsSig = slotsSignature(status);
      if (slotsSig !== this.#slotsSig && !this.#closed) {
        this.#slotsSig = slotsSig;
        this.#log.publish('slots', picture);
      }
      const queue = await this.#ws.queue();
      this.#queue = queue;
      const queueSig = JSON.stringify(queue);
      if (queueSig !== this.#queueSig && !this.#closed) {
        this.#queueSig = queueSig;
        this.#log.publish('queue', queue);
      }
    } catch {
      // A look that failed (a full disk, a halted workspace) keeps the last picture; the status
      // route and the lifecycle stream report the workspace's error.
    }
  }

  /** Stop polling (a look under way finishes but publishes nothing). */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    if (this.#running !== null) await this.#running;
  }
}
