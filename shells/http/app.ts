// The HTTP app, built apart from listen() so tests drive it with inject(): security hooks, the
// routes of plugin.ts (JSON API, event stream, dashboard) around one long-lived session of the workspace.
import Fastify, { type FastifyInstance } from 'fastify';
import type { AppContext } from './context.ts';
import { type AppOptions, limitsOf } from './options.ts';
import { mountRoutes } from './plugin.ts';
import { installSecurity } from './security.ts';
import type { SseStats } from './sse.ts';

/** The app and what tests look at: the live state and the stream's counters. */
export interface BuiltApp {
  readonly app: FastifyInstance;
  readonly context: AppContext;
  readonly sse: SseStats;
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
    http: { maxHeaderSize: limits.headerBytesMax },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, useDefaults: true } },
    return503OnClosing: true,
  });
  installSecurity(app, { allowedHosts: options.allowedHosts, token: options.token });
  const { context, sse } = mountRoutes(app, options);
  return { app, context, sse };
}
