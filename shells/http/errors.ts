// HTTP errors: every failure leaves the server as `{ error: { code, message } }` with a stable code.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { RunwardenError } from '../api/errors.ts';
import { setSecurityHeaders } from './security-headers.ts';

/** HTTP status by runwarden error code; anything unknown is a 500. */
const statusOfCode: Readonly<Record<string, number>> = {
  RW_BAD_REQUEST: 400,
  RW_USAGE: 400,
  RW_UNAUTHORIZED: 401,
  RW_HOST_NOT_ALLOWED: 403,
  RW_CROSS_SITE: 403,
  RW_PATH_ESCAPE: 403,
  RW_NOT_REGULAR: 403,
  RW_TOO_LARGE: 413,
  RW_NOT_FOUND: 404,
  RW_RATE_LIMITED: 429,
  RW_URL_TOO_LONG: 414,
  RW_ROUTE_NOT_FOUND: 404,
  RW_CONFLICT: 409,
  RW_NO_ACTIVE_RUN: 409,
  // issue 12: several runs are active and the request named none
  RW_AMBIGUOUS: 400,
  RW_BODY_TOO_LARGE: 413,
  RW_UNSUPPORTED_MEDIA: 415,
  RW_TOO_MANY_CLIENTS: 503,
  RW_TIMEOUT: 504,
};

/** An error an HTTP handler answers with: a stable code and a one-line message. */
export class HttpError extends Error {
  readonly code: string;
  readonly statusCode: number;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'HttpError';
    this.code = code;
    this.statusCode = statusOfCode[code] ?? 500;
  }
}

/** The JSON body of an error reply. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

/** Send `code` with `message` as the documented error body. */
export function sendError(reply: FastifyReply, code: string, message: string): FastifyReply {
  return reply.code(statusOfCode[code] ?? 500).send({ error: { code, message } } satisfies ErrorBody);
}

/** Fastify's own error codes (schema, body size, content type) as runwarden codes. */
function codeOfFastifyError(error: FastifyError): string {
  if (error.validation !== undefined) return 'RW_BAD_REQUEST';
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return 'RW_BODY_TOO_LARGE';
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return 'RW_UNSUPPORTED_MEDIA';
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500)
    return 'RW_BAD_REQUEST';
  return 'RW_INTERNAL';
}

/**
 * Fastify's router errors (a bad percent-encoding, a path parameter too long), answered before
 * any hook runs: the same error body and the same security headers as every other reply.
 */
export function handleRouterError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  setSecurityHeaders(reply);
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    sendError(reply, 'RW_URL_TOO_LONG', 'a path segment of the URL is too long');
    return;
  }
  sendError(reply, 'RW_BAD_REQUEST', `bad request target: ${error.message}`);
}

/** The app's error handler: known errors keep their code; the rest become RW_INTERNAL (logged). */
export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof HttpError || error instanceof RunwardenError) {
    return sendError(reply, error.code, error.message);
  }
  const fastifyError = error as FastifyError;
  const code = codeOfFastifyError(fastifyError);
  if (code === 'RW_INTERNAL') {
    request.log.error({ err: error }, 'internal error');
    return sendError(reply, code, 'internal error (see the server log)');
  }
  return sendError(reply, code, fastifyError.message);
}
