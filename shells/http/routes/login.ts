// POST /api/login: the dashboard trades the token (from the URL fragment or the login screen) for
// an HttpOnly cookie. Wrong tokens count against the client's address like on every other route.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { loginBody } from '../schemas.ts';
import { tokenMatches, tokenSetCookie } from '../token.ts';

/**
 * Register POST /api/login: 204 and the cookie; 401 RW_UNAUTHORIZED for a wrong token; 429
 * RW_RATE_LIMITED while the address waits after wrong tokens (the token is then not checked).
 */
export function loginRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post<{ Body: { token: string } }>(
    '/api/login',
    { schema: { body: loginBody } },
    async (request, reply) => {
      const expected = ctx.token;
      if (expected === null) return reply.code(204).send();
      const waitMs = ctx.limiter.waitMs(request.ip);
      if (waitMs > 0) {
        reply.header('Retry-After', String(Math.ceil(waitMs / 1000)));
        throw new HttpError('RW_RATE_LIMITED', `too many wrong tokens; retry in ${Math.ceil(waitMs)} ms`);
      }
      if (!tokenMatches(request.body.token, expected)) {
        ctx.limiter.failed(request.ip);
        throw new HttpError('RW_UNAUTHORIZED', 'wrong token');
      }
      ctx.limiter.succeeded(request.ip);
      reply.header('Set-Cookie', tokenSetCookie(expected, request.protocol === 'https'));
      return reply.code(204).send();
    },
  );
}
