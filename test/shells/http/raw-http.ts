// A raw HTTP/1.1 exchange over node:net for tests: the request target reaches the server byte for
// byte as written (no URL normalisation by a client library), and the reply is parsed by hand.
import { connect } from 'node:net';

/** A parsed reply: status, lower-cased headers, body text. */
export interface RawReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly raw: string;
}

/** What to send. */
export interface RawRequest {
  readonly method: string;
  readonly target: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Give up (reject) after this long without the server closing the connection. */
  readonly timeoutMs?: number;
}

/** Parse the text of one HTTP/1.1 reply. */
export function parseReply(raw: string): RawReply {
  const end = raw.indexOf('\r\n\r\n');
  const head = end < 0 ? raw : raw.slice(0, end);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = end < 0 ? '' : raw.slice(end + 4);
  if (headers['transfer-encoding'] === 'chunked') body = unchunk(body);
  return { status, headers, body, raw };
}

function unchunk(text: string): string {
  let out = '';
  let rest = text;
  for (let i = 0; i < 10_000; i++) {
    const lineEnd = rest.indexOf('\r\n');
    if (lineEnd < 0) break;
    const size = Number.parseInt(rest.slice(0, lineEnd), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    rest = rest.slice(lineEnd + 2 + size + 2);
  }
  return out;
}

/** Send one request on a fresh connection (Connection: close) and resolve with the reply. */
export function rawRequest(port: number, request: RawRequest): Promise<RawReply> {
  const body = request.body ?? '';
  const headers: Record<string, string> = {
    Host: `127.0.0.1:${port}`,
    Connection: 'close',
    ...(request.body === undefined ? {} : { 'Content-Type': 'application/json' }),
    ...(request.body === undefined ? {} : { 'Content-Length': String(Buffer.byteLength(body)) }),
    ...request.headers,
  };
  const head = [
    `${request.method} ${request.target} HTTP/1.1`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ].join('\r\n');
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`${head}\r\n\r\n${body}`));
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(`no reply to ${request.method} ${request.target} within ${request.timeoutMs ?? 10_000} ms`),
      );
    }, request.timeoutMs ?? 10_000);
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      data += d;
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseReply(data));
    });
  });
}
