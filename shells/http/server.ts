// `runwarden serve`: check the binding (no token only on loopback), build the app, listen.
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';
import { allowedHostsFor, checkBinding, type HttpLimits } from './options.ts';

/** What `serve` is given. */
export interface ServeOptions {
  readonly workspace: string;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 7077; 0 picks a free port. */
  readonly port?: number;
  /** The token every protected route requires; null (no token) is refused beyond loopback. */
  readonly token: string | null;
  /** Extra Host names to accept (the machine's name when serving beyond loopback). */
  readonly allowHosts?: readonly string[];
  readonly limits?: Partial<HttpLimits>;
}

/** A listening server. */
export interface RunningServer {
  readonly app: FastifyInstance;
  /** `http://host:port/`, for a browser (loopback names as given). */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export const defaultPort = 7077;

/** Listen on `host:port` (RW_USAGE when the binding is refused: beyond loopback without a token). */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token;
  checkBinding(host, token);
  const { app } = buildApp({
    workspace: options.workspace,
    token,
    allowedHosts: [...allowedHostsFor(host), ...(options.allowHosts ?? [])],
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  });
  await app.listen({ host, port: options.port ?? defaultPort });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? defaultPort);
  const shown = host.includes(':') ? `[${host}]` : host;
  return { app, url: `http://${shown}:${port}/`, port, close: () => app.close() };
}
