// POST /api/login: the dashboard trades the token (from the URL fragment) for an HttpOnly cookie.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { loginBody } from '../schemas.ts';
import { tokenMatches, tokenSetCookie } from '../token.ts';

/** Register POST /api/login (204 and the cookie; 401 RW_UNAUTHORIZED for a wrong token). */
export function loginRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post<{ Body: { token: string } }>(
    '/api/login',
    { schema: { body: loginBody } },
    async (request, reply) => {
      const expected = ctx.token;
      if (expected === null) return reply.code(204).send();
      if (!tokenMatches(request.body.token, expected)) {
        throw new HttpError('RW_UNAUTHORIZED', 'wrong token');
      }
      reply.header('Set-Cookie', tokenSetCookie(expected, request.protocol === 'https'));
      return reply.code(204).send();
    },
  );
}
