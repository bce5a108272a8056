// A minimal Server-Sent Events reader for the bench: records each event with the monotonic time
// it arrived.
import { get } from 'node:http';
import { nowNs } from './command.ts';

/** One event as it arrived. */
export interface Arrived {
  event: string;
  data: string;
  atNs: bigint;
}

/** An open event stream. */
export interface SseStream {
  events: Arrived[];
  close(): void;
}

/** Opens GET `path` on 127.0.0.1:`port` and collects its events. */
export function openStream(port: number, path: string): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const events: Arrived[] = [];
    const req = get(
      { host: '127.0.0.1', port, path, headers: { host: '127.0.0.1', accept: 'text/event-stream' } },
      (res) => {
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (chunk: string) => {
          const atNs = nowNs();
          buffer += chunk;
          for (let at = buffer.indexOf('\n\n'); at >= 0; at = buffer.indexOf('\n\n')) {
            const lines = buffer.slice(0, at).split('\n');
            buffer = buffer.slice(at + 2);
            const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
            const data = lines.find((l) => l.startsWith('data: '))?.slice(6) ?? '';
            events.push({ event, data, atNs });
          }
        });
        res.on('error', () => {});
        resolve({ events, close: () => req.destroy() });
      },
    );
    req.on('error', reject);
  });
}
