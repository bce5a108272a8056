// A minimal SSE client for tests: connects over a real loopback socket and parses frames.
import { type ClientRequest, get, type IncomingMessage } from 'node:http';
import { waitFor } from '../../helpers/wait-for.ts';

/** One parsed frame. */
export interface Frame {
  readonly id: string | null;
  readonly event: string;
  readonly data: unknown;
}

/** An open stream: the frames so far, the status, and close(). */
export interface SseClient {
  readonly frames: Frame[];
  readonly status: number;
  readonly body: string;
  readonly response: IncomingMessage;
  readonly request: ClientRequest;
  /** Wait until a frame satisfies `match` (bounded). */
  next(match: (f: Frame) => boolean, description: string, timeoutMs?: number): Promise<Frame>;
  close(): void;
}

/** Parse the complete frames at the start of `buffer`; returns them and the unparsed rest. */
export function parseFrames(buffer: string): { frames: Frame[]; rest: string } {
  const frames: Frame[] = [];
  let rest = buffer;
  for (let at = rest.indexOf('\n\n'); at >= 0; at = rest.indexOf('\n\n')) {
    const block = rest.slice(0, at);
    rest = rest.slice(at + 2);
    let id: string | null = null;
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('id: ')) id = line.slice(4);
      else if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (data.length > 0) frames.push({ id, event, data: JSON.parse(data.join('\n')) });
  }
  return { frames, rest };
}

/** Open GET /api/events on `port` with extra headers. */
export function openSse(
  port: number,
  headers: Record<string, string> = {},
  path = '/api/events',
): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const request = get({
      host: '127.0.0.1',
      port,
      path,
      headers: { host: `127.0.0.1:${port}`, ...headers },
    });
    request.on('error', reject);
    request.on('response', (response) => {
      const frames: Frame[] = [];
      let buffer = '';
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk.slice(0, 4096);
        buffer += chunk;
        const parsed = parseFrames(buffer);
        buffer = parsed.rest;
        frames.push(...parsed.frames);
      });
      response.on('error', () => {});
      const client: SseClient = {
        frames,
        get status() {
          return response.statusCode ?? 0;
        },
        get body() {
          return body;
        },
        response,
        request,
        next: (match, description, timeoutMs = 10_000) =>
          waitFor(() => frames.find(match), { timeoutMs, description }),
        close: () => request.destroy(),
      };
      resolve(client);
    });
  });
}
