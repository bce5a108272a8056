// Request checks run before any route: Host allowlist (DNS rebinding), same-origin for the API
// (cross-site requests, on every verb), and the token. Each refusal has its own stable code.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './errors.ts';
import { presentedToken, tokenMatches } from './token.ts';

/** What the checks need to know. */
export interface SecurityOptions {
  /** Host names (no port) a request may name; anything else is DNS rebinding or a mistake. */
  readonly allowedHosts: readonly string[];
  readonly token: string | null;
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

/** Paths that need no token: the dashboard's static files and the login that sets the cookie. */
function isPublic(url: string): boolean {
  return !url.startsWith('/api/') || url === '/api/login' || url.startsWith('/api/login?');
}

/** Refuse a request (host, cross-site, token), or return null to let it through. */
function refusal(request: FastifyRequest, options: SecurityOptions): [string, string] | null {
  const host = request.headers.host;
  if (host === undefined || !options.allowedHosts.includes(hostNameOf(host))) {
    return ['RW_HOST_NOT_ALLOWED', `Host '${host ?? ''}' is not allowed (DNS rebinding protection)`];
  }
  if (request.url.startsWith('/api/')) {
    const reason = crossSiteReason(request);
    if (reason !== null) return ['RW_CROSS_SITE', `cross-site request refused: ${reason}`];
  }
  if (options.token !== null && !isPublic(request.url)) {
    const given = presentedToken(request.headers);
    if (given === null || !tokenMatches(given, options.token)) {
      return ['RW_UNAUTHORIZED', 'a valid token is required (Authorization: Bearer, or log in)'];
    }
  }
  return null;
}

/** Install the checks as the first hook of every request, including unknown routes. */
export function installSecurity(app: FastifyInstance, options: SecurityOptions): void {
  const allowed = options.allowedHosts.map((h) => h.toLowerCase());
  const normalized: SecurityOptions = { ...options, allowedHosts: allowed };
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const refused = refusal(request, normalized);
    if (refused !== null) return sendError(reply, refused[0], refused[1]);
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('X-Frame-Options', 'DENY');
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header('Cache-Control', 'no-store');
  });
}
