// `runwarden/fastify`: the JSON API, the event stream and the dashboard as routes on a Fastify
// instance the caller owns, so a service mounts them under its own prefix and its own auth.
// `runwarden serve` (app.ts) is this plus its own security hooks (Host, same-origin, token).
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { openWorkspace } from '../api/workspace.ts';
import type { AppContext } from './context.ts';
import { handleError, sendError } from './errors.ts';
import { EventLog } from './event-log.ts';
import { LiveState } from './live-state.ts';
import { LoginLimiter } from './login-limiter.ts';
import { type HttpLimits, limitsOf } from './options.ts';
import { QueueWatch } from './queue-watch.ts';
import { annotationRoutes } from './routes/annotations.ts';
import { controlRoutes } from './routes/control.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { inspectRoutes } from './routes/inspect.ts';
import { loginRoutes } from './routes/login.ts';
import { queueRoutes } from './routes/queue.ts';
import { collectRoutes, runSeriesRoutes } from './routes/run-series.ts';
import { runRoutes } from './routes/runs.ts';
import { type SseStats, sseRoutes } from './sse.ts';

/** What the routes serve: the workspace, and optionally limits, a token and poll intervals. */
export interface RunwardenRoutesOptions {
  /** The workspace directory (absolute or relative to the cwd). */
  readonly workspace: string;
  /** The token POST /api/login trades for a cookie; null (the default) when the host does auth. */
  readonly token?: string | null;
  readonly limits?: Partial<HttpLimits>;
  /** How often the live run's progress and logs are looked at (ms, default 250). */
  readonly progressPollMs?: number;
  /** How often the lifecycle machine probes a watched job (ms). */
  readonly pollMs?: number;
  /** The failed-login limiter POST /api/login shares with the token checks (serve passes its own). */
  readonly limiter?: LoginLimiter;
  /** issue 12: how often the slots and the queue are looked at, dispatching (ms, default 1000). */
  readonly queuePollMs?: number;
}

/** What mounting gives back: the shared context (live state, event log) and the stream's counters. */
export interface MountedRoutes {
  readonly context: AppContext;
  readonly sse: SseStats;
}

/**
 * Register every runwarden route on `app` (in its encapsulation context, so under its prefix),
 * with runwarden's error format and JSON-only bodies. Opens one long-lived session of the
 * workspace, closed when `app` closes. Adds no Host, origin or token checks: the caller's.
 */
export function mountRoutes(app: FastifyInstance, options: RunwardenRoutesOptions): MountedRoutes {
  const limits = limitsOf(options);
  const ws = openWorkspace(options.workspace, options.pollMs === undefined ? {} : { pollMs: options.pollMs });
  const events = new EventLog(limits.replayEventsMax);
  const live = new LiveState(ws, events, options.progressPollMs ?? 250);
  const limiter = options.limiter ?? new LoginLimiter(limits);
  const queue = new QueueWatch(ws, events, options.queuePollMs ?? 1_000);
  const context: AppContext = { ws, live, events, limits, token: options.token ?? null, limiter, queue };
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
  const registered = collectRoutes(app);
  runRoutes(app, context);
  inspectRoutes(app, context);
  controlRoutes(app, context);
  queueRoutes(app, context);
  annotationRoutes(app, context);
  loginRoutes(app, context);
  dashboardRoutes(app);
  runSeriesRoutes(app, context, registered);
  const sse = sseRoutes(app, context);
  app.addHook('onClose', async () => {
    await queue.close();
    live.close();
  });
  return { context, sse };
}

/**
 * The Fastify plugin: `app.register(runwarden, { prefix: '/training', workspace: 'runs' })`.
 * Register it inside the scope of your own auth hook; its routes inherit that scope's hooks.
 */
export const runwarden: FastifyPluginAsync<RunwardenRoutesOptions> = async (app, options) => {
  mountRoutes(app, options);
};

export default runwarden;
export type { HttpLimits } from './options.ts';
