// The options of `runwarden serve`, checked before anything binds: no token only on loopback.
import { isIP } from 'node:net';
import { RunwardenError } from '../api/errors.ts';

/** Limits that keep one client from costing the server more than its share. */
export interface HttpLimits {
  /** Largest request body accepted (bytes). */
  readonly bodyBytesMax: number;
  /** Largest request header block (bytes; Node's parser enforces it on a real socket). */
  readonly headerBytesMax: number;
  /** SSE clients at once; the next one gets 503 RW_TOO_MANY_CLIENTS. */
  readonly sseClientsMax: number;
  /** Bytes queued for one SSE client that does not read before it is dropped. */
  readonly sseBufferBytesMax: number;
  /** Events kept for `Last-Event-ID` resumption. */
  readonly replayEventsMax: number;
  /** Time to receive a whole request, headers and body (ms); then Node answers 408 and closes. */
  readonly requestTimeoutMs: number;
  /** The wait imposed on a client address after its first wrong token (ms); doubles per failure. */
  readonly loginDelayBaseMs: number;
  /** The longest such wait (ms). */
  readonly loginDelayMaxMs: number;
}

/** What `buildApp` needs: where the workspace is, the token, and which Host names to accept. */
export interface AppOptions {
  /** The workspace directory (absolute or relative to the cwd). */
  readonly workspace: string;
  /** The shared secret; null means none (only allowed on loopback). */
  readonly token: string | null;
  /** Host names (without port) a request's Host header may carry. */
  readonly allowedHosts: readonly string[];
  readonly limits?: Partial<HttpLimits>;
  /** How often the live run's progress and logs are looked at (ms). */
  readonly progressPollMs?: number;
  /** The lifecycle machine's delays, for tests that want a short kill timeout. */
  readonly pollMs?: number;
  /** issue 12: how often the slots and the queue are looked at, dispatching (ms, default 1000). */
  readonly queuePollMs?: number;
}

export const defaultLimits: HttpLimits = {
  bodyBytesMax: 64 * 1024,
  headerBytesMax: 16 * 1024,
  sseClientsMax: 256,
  sseBufferBytesMax: 1024 * 1024,
  replayEventsMax: 1024,
  requestTimeoutMs: 10_000,
  loginDelayBaseMs: 500,
  loginDelayMaxMs: 30_000,
};

/** The limits of `options`, defaults filled in. */
export function limitsOf(options: Pick<AppOptions, 'limits'>): HttpLimits {
  return { ...defaultLimits, ...options.limits };
}

/** Whether `host` is a loopback address or name. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1';
}

/** The Host names to accept when bound to `host`: the loopback names, plus `host` itself. */
export function allowedHostsFor(host: string): string[] {
  const names = ['localhost', '127.0.0.1', '[::1]', '::1'];
  const bare = host.replace(/^\[|\]$/g, '');
  const own = isIP(bare) === 6 ? `[${bare}]` : bare;
  if (bare !== '0.0.0.0' && bare !== '::' && !names.includes(own)) names.push(own);
  return names;
}

/**
 * Refuse to serve beyond loopback without a token (RW_USAGE naming the fix), and a token too
 * short to resist guessing. (`serve` has a token unless `--no-token` was given.)
 */
export function checkBinding(host: string, token: string | null): void {
  if (token !== null && token.length < 16) {
    throw new RunwardenError('RW_USAGE', 'the token must be at least 16 characters long');
  }
  if (!isLoopback(host) && token === null) {
    throw new RunwardenError(
      'RW_USAGE',
      `refusing to listen on ${host} without a token: drop --no-token (serve then uses $RUNWARDEN_TOKEN or its token file)`,
    );
  }
}
