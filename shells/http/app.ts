// The HTTP app, built apart from listen() so tests drive it with inject(): security hooks, the
// JSON routes, the event stream and the dashboard, around one long-lived session of the workspace.
import Fastify, { type FastifyInstance } from 'fastify';
import { openWorkspace } from '../api/workspace.ts';
import type { AppContext } from './context.ts';
import { handleError, handleRouterError, sendError } from './errors.ts';
import { EventLog } from './event-log.ts';
import { LiveState } from './live-state.ts';
import { LoginLimiter } from './login-limiter.ts';
import { type AppOptions, limitsOf } from './options.ts';
import { controlRoutes } from './routes/control.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { inspectRoutes } from './routes/inspect.ts';
import { loginRoutes } from './routes/login.ts';
import { runRoutes } from './routes/runs.ts';
import { installSecurity } from './security.ts';
import { type SseStats, sseRoutes } from './sse.ts';

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
  const ws = openWorkspace(options.workspace, options.pollMs === undefined ? {} : { pollMs: options.pollMs });
  const events = new EventLog(limits.replayEventsMax);
  const live = new LiveState(ws, events, options.progressPollMs ?? 250);
  const limiter = new LoginLimiter(limits);
  const context: AppContext = { ws, live, events, limits, token: options.token, limiter };
  // JSON only: a cross-site form can send text/plain without a preflight.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      'RW_ROUTE_NOT_FOUND',
      `no route ${request.method} ${(request.url.split('?')[0] ?? '').slice(0, 200)}`,
    ),
  );
  installSecurity(app, { allowedHosts: options.allowedHosts, token: options.token, limiter });
  runRoutes(app, context);
  inspectRoutes(app, context);
  controlRoutes(app, context);
  loginRoutes(app, context);
  dashboardRoutes(app);
  const sse = sseRoutes(app, context);
  app.addHook('onClose', async () => live.close());
  return { app, context, sse, routes };
}
