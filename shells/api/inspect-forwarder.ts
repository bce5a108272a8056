// Forwards the machine's inspection events to a WebSocket inspector (Stately's tools, or any
// receiver of @statelyai/inspect's events) without ever holding the process up: a bounded queue,
// no reconnect loop that keeps the event loop alive, closed when the session stops.
import { createInspector, type StatelyInspectionEvent } from '@statelyai/inspect';
import type { InspectionEvent, Observer } from 'xstate';

/** Events kept while (re)connecting; older ones are dropped first. */
export const forwardQueueMax = 1_000;
const retryMsMax = 5_000;

/** A WebSocket adapter (the package's Adapter shape) that retries on unref'd timers. */
class ForwardAdapter {
  private socket: WebSocket | null = null;
  private readonly queue: string[] = [];
  private retryMs = 250;
  private retryTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly url: string;

  constructor(url: string) {
    this.url = url;
  }

  start(): void {
    if (this.stopped || this.socket !== null) return;
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.url);
    } catch {
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.retryMs = 250;
      for (const message of this.queue.splice(0)) socket.send(message);
    });
    const lost = () => {
      if (this.socket === socket) this.socket = null;
      this.scheduleRetry();
    };
    socket.addEventListener('error', lost);
    socket.addEventListener('close', lost);
  }

  /** Try again later, on a timer that never keeps the process alive. */
  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer !== null) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.start();
    }, this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(retryMsMax, this.retryMs * 2);
  }

  send(event: StatelyInspectionEvent): void {
    let message: string;
    try {
      message = JSON.stringify(event);
    } catch {
      return; // a context that cannot be serialised is not worth failing the run for
    }
    if (this.socket?.readyState === WebSocket.OPEN) {
      this.socket.send(message);
      return;
    }
    this.queue.push(message);
    if (this.queue.length > forwardQueueMax) this.queue.shift();
  }

  /**
   * Stop: send what is queued if the socket is (or becomes, within `drainMs`) open, then close.
   * The returned promise settles when that is done or given up; it never holds the process.
   */
  stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    const socket = this.socket;
    this.socket = null;
    if (
      socket === null ||
      socket.readyState === WebSocket.CLOSED ||
      socket.readyState === WebSocket.CLOSING
    ) {
      this.queue.length = 0;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      // The close handshake completes after the data: resolve then, or when the time is up.
      const timer = setTimeout(resolve, drainMs);
      timer.unref();
      socket.addEventListener('close', () => {
        clearTimeout(timer);
        resolve();
      });
      const finish = () => {
        if (socket.readyState === WebSocket.OPEN) {
          for (const message of this.queue.splice(0)) socket.send(message);
        }
        this.queue.length = 0;
        socket.close();
      };
      if (socket.readyState === WebSocket.OPEN) finish();
      else {
        socket.addEventListener('open', finish);
        socket.addEventListener('error', finish);
      }
    });
  }
}

/** How long a stopping forwarder may wait for its socket to open and take the backlog. */
const drainMs = 1_000;
const draining = new Set<Promise<void>>();

/** Wait (at most `timeoutMs`) until every stopped forwarder has sent its backlog. */
export async function drainForwarders(timeoutMs = drainMs): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  await Promise.race([Promise.all([...draining]), timeout]);
  clearTimeout(timer);
}

/** An inspection observer forwarding to `url` (ws:// or wss://), and how to stop it. */
export function forwardInspection(url: string): { observer: Observer<InspectionEvent>; stop(): void } {
  const adapter = new ForwardAdapter(url);
  const inspector = createInspector(adapter);
  // createInspector leaves starting the adapter to its caller.
  adapter.start();
  return {
    observer: inspector.inspect,
    stop: () => {
      // The inspector hands events to the adapter on setTimeout(0): stop after those already due.
      const drained = new Promise((resolve) => setTimeout(resolve, 0)).then(() => adapter.stop());
      draining.add(drained);
      void drained.then(() => draining.delete(drained));
    },
  };
}
