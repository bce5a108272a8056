// Request checks, decided on the route that matched, deny by default. Before routing: the raw
// request target must be a plain path (no absolute-form, no percent-encoding). Then the Host
// allowlist (DNS rebinding). Only the routes in `publicRoutes` (the page and its assets) need
// nothing more; every other route, unknown ones included, needs same-origin and the token.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './errors.ts';
import type { LoginLimiter } from './login-limiter.ts';
import { requestTargetProblem } from './request-target.ts';
import { setSecurityHeaders } from './security-headers.ts';
import { presentedToken, tokenMatches } from './token.ts';

/** What the checks need to know. */
export interface SecurityOptions {
  /** Host names (no port) a request may name; anything else is DNS rebinding or a mistake. */
  readonly allowedHosts: readonly string[];
  readonly token: string | null;
  /** Failed token checks per client address. */
  readonly limiter: LoginLimiter;
}

/**
 * The routes anyone may fetch (method and route pattern as registered): the dashboard page and
 * its static files, which hold no data. HEAD is the GET route's automatic twin.
 */
export const publicRoutes: ReadonlySet<string> = new Set([
  'GET /',
  'GET /runs/:id',
  'GET /favicon.ico',
  'GET /style.css',
  'GET /app.js',
  'GET /render.js',
  'GET /stream.js',
  'GET /stream-core.js',
  'GET /stream-worker.js',
  'GET /state-view.js',
  'GET /vendor/mermaid.min.js',
  // Issue 18: the dashboard's pages, modules and vendored libraries (they hold no data).
  'GET /compare',
  'GET /queue',
  'GET /debug',
  'GET /api.js',
  'GET /runs-page.js',
  'GET /run-page.js',
  'GET /charts.js',
  'GET /logs.js',
  'GET /compare-page.js',
  'GET /queue-page.js',
  'GET /vendor/uplot.min.js',
  'GET /vendor/uplot.min.css',
  'GET /vendor/ansi_up.js',
]);

/** The route that trades a token for a cookie: same-origin, and checks the token itself. */
export const loginRoute = 'POST /api/login';

/** `METHOD /pattern` of the route that matched, or null for no route (not found). */
export function routeKeyOf(request: FastifyRequest): string | null {
  const url = request.routeOptions.url;
  if (url === undefined) return null;
  const method = request.method === 'HEAD' ? 'GET' : request.method;
  return `${method} ${url}`;
}

/** The host name of a Host header without its port (`[::1]:80` → `[::1]`), lower-cased. */
export function hostNameOf(host: string): string {
  const lower = host.trim().toLowerCase();
  if (lower.startsWith('[')) return lower.slice(0, lower.indexOf(']') + 1);
  const colon = lower.lastIndexOf(':');
  return colon >= 0 ? lower.slice(0, colon) : lower;
}

/** The reason a request is cross-site, or null when it is same-origin (or not from a browser). */
export function crossSiteReason(request: FastifyRequest): string | null {
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') {
    return `Sec-Fetch-Site is '${site}'`;
  }
  const origin = request.headers.origin;
  if (origin === undefined) return null;
  let originHost: string;
  try {
    originHost = new URL(origin).host.toLowerCase();
  } catch {
    return `Origin '${origin}' is not a URL`;
  }
  const host = (request.headers.host ?? '').toLowerCase();
  return originHost === host ? null : `Origin '${origin}' is not this server (${host})`;
}

type Refusal = readonly [code: string, message: string];

/** The token check of a protected route: null to let it through, or why not. */
export function tokenRefusal(
  request: FastifyRequest,
  reply: FastifyReply,
  options: SecurityOptions,
): Refusal | null {
  if (options.token === null) return null;
  const given = presentedToken(request.headers);
  if (given === null) {
    return ['RW_UNAUTHORIZED', 'a valid token is required (Authorization: Bearer, or log in)'];
  }
  const waitMs = options.limiter.waitMs(request.ip);
  if (waitMs > 0) {
    reply.header('Retry-After', String(Math.ceil(waitMs / 1000)));
    return ['RW_RATE_LIMITED', `too many wrong tokens from ${request.ip}; retry in ${Math.ceil(waitMs)} ms`];
  }
  if (!tokenMatches(given, options.token)) {
    options.limiter.failed(request.ip);
    return ['RW_UNAUTHORIZED', 'a valid token is required (Authorization: Bearer, or log in)'];
  }
  options.limiter.succeeded(request.ip);
  return null;
}

/** Refuse a request (target, host, cross-site, token), or return null to let it through. */
function refusal(request: FastifyRequest, reply: FastifyReply, options: SecurityOptions): Refusal | null {
  const target = requestTargetProblem(request.raw.url ?? '');
  if (target !== null) return ['RW_BAD_REQUEST', `bad request target: ${target}`];
  const host = request.headers.host;
  if (host === undefined || !options.allowedHosts.includes(hostNameOf(host))) {
    return ['RW_HOST_NOT_ALLOWED', `Host '${host ?? ''}' is not allowed (DNS rebinding protection)`];
  }
  const route = routeKeyOf(request);
  if (route !== null && publicRoutes.has(route)) return null;
  const reason = crossSiteReason(request);
  if (reason !== null) return ['RW_CROSS_SITE', `cross-site request refused: ${reason}`];
  if (route === loginRoute) return null;
  return tokenRefusal(request, reply, options);
}

/** Install the checks as the first hook of every request, including unknown routes. */
export function installSecurity(app: FastifyInstance, options: SecurityOptions): void {
  const allowed = options.allowedHosts.map((h) => h.toLowerCase());
  const normalized: SecurityOptions = { ...options, allowedHosts: allowed };
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    setSecurityHeaders(reply);
    const refused = refusal(request, reply, normalized);
    if (refused !== null) return sendError(reply, refused[0], refused[1]);
  });
}
