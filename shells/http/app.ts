// The HTTP app, built apart from listen() so tests drive it with inject(): security hooks, the
// routes of plugin.ts (JSON API, event stream, dashboard) around one long-lived session of the workspace.
import Fastify, { type FastifyInstance } from 'fastify';
import type { AppContext } from './context.ts';
import { handleRouterError } from './errors.ts';
import { LoginLimiter } from './login-limiter.ts';
import { type AppOptions, limitsOf } from './options.ts';
import { mountRoutes } from './plugin.ts';
import { installSecurity } from './security.ts';
import type { SseStats } from './sse.ts';

/** The app and what tests look at: the live state and the stream's counters. */
export interface BuiltApp {
  readonly app: FastifyInstance;
  readonly context: AppContext;
  readonly sse: SseStats;
  /** Every route registered, as `METHOD /pattern` (the security tests walk them all). */
  readonly routes: readonly string[];
}

/**
 * Build the app for `options.workspace`. It opens one session of the workspace (closed with the
 * app). Nothing listens until the caller calls `app.listen()`.
 */
export function buildApp(options: AppOptions): BuiltApp {
  const limits = limitsOf(options);
  const app = Fastify({
    logger: false,
    bodyLimit: limits.bodyBytesMax,
    routerOptions: { maxParamLength: 200 },
    // A request (headers and body) must arrive within requestTimeoutMs; Node checks every
    // connection this often, so a body that never arrives is cut off close to the bound.
    requestTimeout: limits.requestTimeoutMs,
    http: {
      maxHeaderSize: limits.headerBytesMax,
      headersTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(limits.requestTimeoutMs / 4))),
    },
    frameworkErrors: handleRouterError,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, useDefaults: true } },
    return503OnClosing: true,
  });
  const routes: string[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push(`${method} ${route.url}`);
  });
  const limiter = new LoginLimiter(limits);
  installSecurity(app, { allowedHosts: options.allowedHosts, token: options.token, limiter });
  const { context, sse } = mountRoutes(app, { ...options, limiter });
  return { app, context, sse, routes };
}
