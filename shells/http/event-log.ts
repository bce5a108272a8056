// The server's event sequence: numbered events, a bounded ring for resumption, and subscribers.
import { randomBytes } from 'node:crypto';

/** The kinds of event a client receives after its snapshot. */
export type StreamEventType =
  | 'status'
  | 'progress'
  | 'logs'
  | 'ended'
  | 'notice'
  // issue 12: the queue changed; a slot was taken or freed
  | 'queue'
  | 'slots';

/** One numbered event. `seq` strictly increases within an epoch (one server process). */
export interface StreamEvent {
  readonly seq: number;
  readonly type: StreamEventType;
  readonly data: unknown;
}

/** Where a client is in the stream: the server's epoch and the last sequence number it applied. */
export interface StreamPosition {
  readonly epoch: string;
  readonly seq: number;
}

/** Parse `epoch.seq` (an SSE event id) or null when it is not one. */
export function parseEventId(id: string | undefined): StreamPosition | null {
  if (id === undefined) return null;
  const match = /^([0-9a-f]{1,32})\.(\d{1,15})$/.exec(id.trim());
  if (match === null || match[1] === undefined || match[2] === undefined) return null;
  return { epoch: match[1], seq: Number(match[2]) };
}

/** The SSE event id of `seq` in `epoch`. */
export const eventIdOf = (epoch: string, seq: number): string => `${epoch}.${seq}`;

/**
 * Numbers events and keeps the latest `replayMax` of them, so a client that reconnects with the
 * id of the last event it applied gets exactly the ones after it, or a fresh snapshot when they
 * are gone (another epoch: the server restarted; or too old).
 */
export class EventLog {
  /** Random per server process: ids from an earlier process never match this one. */
  readonly epoch = randomBytes(6).toString('hex');
  readonly #ring: StreamEvent[] = [];
  readonly #replayMax: number;
  readonly #subscribers = new Set<(event: StreamEvent) => void>();
  #seq = 0;

  constructor(replayMax: number) {
    this.#replayMax = replayMax;
  }

  /** The sequence number of the latest event (0 before the first). */
  get seq(): number {
    return this.#seq;
  }

  /** Number, keep and deliver an event to every subscriber. */
  publish(type: StreamEventType, data: unknown): StreamEvent {
    this.#seq += 1;
    const event: StreamEvent = { seq: this.#seq, type, data };
    this.#ring.push(event);
    if (this.#ring.length > this.#replayMax) this.#ring.shift();
    for (const deliver of this.#subscribers) deliver(event);
    return event;
  }

  /** The events after `position`, or null when they cannot all be given (snapshot needed). */
  after(position: StreamPosition | null): StreamEvent[] | null {
    if (position === null || position.epoch !== this.epoch || position.seq > this.#seq) return null;
    const oldest = this.#ring[0]?.seq ?? this.#seq + 1;
    if (position.seq + 1 < oldest && position.seq !== this.#seq) return null;
    return this.#ring.filter((e) => e.seq > position.seq);
  }

  /** Receive every event published from now on; returns the unsubscribe function. */
  subscribe(deliver: (event: StreamEvent) => void): () => void {
    this.#subscribers.add(deliver);
    return () => this.#subscribers.delete(deliver);
  }
}
