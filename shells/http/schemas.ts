// JSON schemas of every route's input: bad input is refused (400 RW_BAD_REQUEST) before a handler.
import { runIdPattern } from '../api/run-files.ts';

/** A run id in a URL: the layout's allowlist pattern (no slashes, no dots first, bounded). */
export const runIdParams = {
  type: 'object',
  required: ['id'],
  additionalProperties: false,
  properties: { id: { type: 'string', pattern: runIdPattern.source, maxLength: 128 } },
} as const;

const keepOrDelete = { type: 'string', enum: ['keep', 'delete'] } as const;
const durationMs = { type: 'integer', minimum: 0, maximum: 7 * 24 * 3_600_000 } as const;

/** POST /api/runs: an argv array (never a shell string) and the run's options. */
export const startBody = {
  type: 'object',
  required: ['argv'],
  additionalProperties: false,
  properties: {
    argv: {
      type: 'array',
      minItems: 1,
      maxItems: 256,
      // No NUL: the kernel cannot pass one in an argument.
      items: { type: 'string', minLength: 1, maxLength: 4096, pattern: '^[^\\u0000]*$' },
    },
    name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' },
    graceMs: durationMs,
    stallAfterMs: { ...durationMs, minimum: 1 },
    abortOnStall: { type: 'boolean' },
    retention: {
      type: 'object',
      additionalProperties: false,
      properties: {
        finished: keepOrDelete,
        failed: keepOrDelete,
        aborted: keepOrDelete,
        orphaned: keepOrDelete,
      },
    },
    // Issue 17: the run's labels (checked again by the library: tag and param name patterns).
    tags: { type: 'array', maxItems: 64, items: { type: 'string', minLength: 1, maxLength: 64 } },
    note: { type: 'string', maxLength: 4096 },
    params: {
      type: 'object',
      maxProperties: 256,
      additionalProperties: { type: 'string', maxLength: 1024 },
    },
    // Issue 18 (the dashboard's start form): the working directory and environment of the job.
    cwd: { type: 'string', minLength: 1, maxLength: 4096, pattern: '^[^\\u0000]*$' },
    env: {
      type: 'object',
      maxProperties: 256,
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]{0,255}$' },
      additionalProperties: { type: 'string', maxLength: 32768, pattern: '^[^\\u0000]*$' },
    },
  },
} as const;

/** POST /api/abort: graceful by default; `runId` makes it apply only while that run is active. */
export const abortBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    force: { type: 'boolean' },
    graceMs: durationMs,
    runId: { type: 'string', pattern: runIdPattern.source, maxLength: 128 },
  },
} as const;

/** GET /api/runs */
export const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
    outcome: { type: 'string', enum: ['finished', 'failed', 'aborted', 'orphaned', 'suspended'] },
  },
} as const;

/** GET /api/runs/:id/logs: the last `tail` lines, or `bytes` bytes from offset `from`. */
export const logsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    stream: { type: 'string', enum: ['stdout', 'stderr'], default: 'stdout' },
    tail: { type: 'integer', minimum: 1, maximum: 10_000 },
    from: { type: 'integer', minimum: 0 },
    bytes: { type: 'integer', minimum: 1, maximum: 1024 * 1024, default: 64 * 1024 },
  },
} as const;

/** GET /api/events: `since` stands in for Last-Event-ID when a client had to reconnect anew. */
export const eventsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { since: { type: 'string', maxLength: 64 } },
} as const;

/** POST /api/login */
export const loginBody = {
  type: 'object',
  required: ['token'],
  additionalProperties: false,
  properties: { token: { type: 'string', minLength: 1, maxLength: 512 } },
} as const;

// issue 12: the queue's and the slots' inputs.
const runIdString = { type: 'string', pattern: runIdPattern.source, maxLength: 128 } as const;
const priority = { type: 'integer', minimum: -1000, maximum: 1000 } as const;

/** POST /api/runs with `queue: true` (or `gpus` on a plain start): what the run waits for and needs. */
export const queueFields = {
  queue: { type: 'boolean' },
  gpus: { type: 'integer', minimum: 0, maximum: 64 },
  after: { type: 'array', maxItems: 64, items: runIdString },
  afterOk: { type: 'array', maxItems: 64, items: runIdString },
  priority,
  hold: { type: 'boolean' },
} as const;

/** POST /api/runs: a start, or with `queue: true` a submit. */
export const submitBody = {
  ...startBody,
  properties: { ...startBody.properties, ...queueFields },
} as const;

/** POST /api/runs/:id/abort */
export const runAbortBody = {
  type: 'object',
  additionalProperties: false,
  properties: { force: { type: 'boolean' }, graceMs: durationMs },
} as const;

/** POST /api/queue/:id/move */
export const moveBody = {
  type: 'object',
  required: ['priority'],
  additionalProperties: false,
  properties: { priority },
} as const;
