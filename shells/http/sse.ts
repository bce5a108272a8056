// GET /api/events: Server-Sent Events. First a snapshot with its sequence number (or, with a
// Last-Event-ID of this server's epoch, exactly the events after it), then every event. Data is
// JSON, so job output can never forge SSE framing. Clients are capped, and only clients past the
// security checks (token included: they run in onRequest, before this handler) take a slot. A
// client that does not read is dropped once `sseBufferBytesMax` is queued for it, without slowing
// the others.
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from './context.ts';
import { sendError } from './errors.ts';
import { eventIdOf, parseEventId, type StreamEvent } from './event-log.ts';
import { eventsQuery } from './schemas.ts';
import { securityHeaders } from './security-headers.ts';

/** A comment line sent this often keeps proxies and idle timers from closing the stream. */
const heartbeatMs = 15_000;
/** What the browser waits before reconnecting after a drop. */
const retryMs = 1_000;

/** One SSE frame: id, event name and one line of JSON. */
export function frameOf(epoch: string, seq: number, type: string, data: unknown): string {
  return `id: ${eventIdOf(epoch, seq)}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * The frame of an event as bytes, made once for all clients (500 clients cost one JSON text and
 * one buffer per event, not 500 of each: a socket queues the same buffer by reference).
 */
const frames = new WeakMap<StreamEvent, Buffer>();
function sharedFrameOf(epoch: string, e: StreamEvent): Buffer {
  let frame = frames.get(e);
  if (frame === undefined) {
    frame = Buffer.from(frameOf(epoch, e.seq, e.type, e.data), 'utf8');
    frames.set(e, frame);
  }
  return frame;
}

/** Counts of the stream's clients, for tests and the bench. */
export interface SseStats {
  clients: number;
  dropped: number;
}

/** Register GET /api/events; returns live counters. */
export function sseRoutes(app: FastifyInstance, ctx: AppContext): SseStats {
  const stats: SseStats = { clients: 0, dropped: 0 };
  const open = new Set<ServerResponse>();
  app.addHook('onClose', async () => {
    for (const res of open) res.destroy();
  });

  app.get<{ Querystring: { since?: string } }>(
    '/api/events',
    { schema: { querystring: eventsQuery } },
    (request, reply) => {
      if (open.size >= ctx.limits.sseClientsMax) {
        return sendError(
          reply,
          'RW_TOO_MANY_CLIENTS',
          `at most ${ctx.limits.sseClientsMax} event streams at once`,
        );
      }
      const header = request.headers['last-event-id'];
      const position = parseEventId(typeof header === 'string' ? header : request.query.since);
      const res = reply.raw;
      reply.hijack();
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        ...securityHeaders,
        'X-Accel-Buffering': 'no',
        Connection: 'keep-alive',
      });
      open.add(res);
      stats.clients = open.size;
      const { epoch } = ctx.events;
      /** Write, or drop the client when too much is queued for it already. */
      const write = (text: string | Buffer): void => {
        if (res.destroyed) return;
        if (res.writableLength > ctx.limits.sseBufferBytesMax) {
          stats.dropped += 1;
          res.destroy();
          return;
        }
        res.write(text);
      };
      const deliver = (e: StreamEvent) => write(sharedFrameOf(epoch, e));
      write(`retry: ${retryMs}\n\n`);
      const missed = ctx.events.after(position);
      if (missed === null) {
        // issue 12: the snapshot carries the slots and the queue's summary as GET /api/status does.
        const snapshot = { ...ctx.live.snapshot(), ...ctx.queue.latest() };
        write(frameOf(epoch, snapshot.seq, 'snapshot', snapshot));
      } else {
        for (const e of missed) deliver(e);
      }
      const unsubscribe = ctx.events.subscribe(deliver);
      const heartbeat = setInterval(() => write(': ping\n\n'), heartbeatMs);
      heartbeat.unref();
      res.on('close', () => {
        clearInterval(heartbeat);
        unsubscribe();
        open.delete(res);
        stats.clients = open.size;
      });
    },
  );
  return stats;
}
