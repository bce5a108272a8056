// The headers every reply carries: refusals, router errors and the event stream included.
import type { FastifyReply } from 'fastify';

/** Headers that keep a reply from being sniffed, framed, cached or leaking the URL as a referrer. */
export const securityHeaders: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

/** Set `securityHeaders` on `reply`. */
export function setSecurityHeaders(reply: FastifyReply): void {
  for (const [name, value] of Object.entries(securityHeaders)) reply.header(name, value);
}
