// Routes the dashboard's run page reads beyond the live stream (issue 18): every metric point of a
// run (its events file, read incrementally by byte offset), a search through a whole log, and the
// raw log file as a download. Every file is opened confined to the workspace (run-files.ts).
import type { FastifyInstance } from 'fastify';
import { historyRecordOf } from '../../api/run-files.ts';
import { runFileRange, runFileWhole } from '../../api/run-series.ts';
import { lastRedraw, withoutEscapes } from '../../api/terminal-text.ts';
import type { AppContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { runIdParams } from '../schemas.ts';

/** Bytes of the events file one metrics request reads at most (the client asks again from `to`). */
export const metricsChunkBytesMax = 16 * 1024 * 1024;
/** Largest log a search scans (its last bytes) and largest log sent as a download. */
export const logSearchBytesMax = 64 * 1024 * 1024;
export const logDownloadBytesMax = 512 * 1024 * 1024;
/** Matching lines a search returns at most. */
export const logMatchesMax = 1_000;

/** One metric point: [step or null, time in ms or null, value or null when not finite]. */
export type MetricPoint = readonly [number | null, number | null, number | null];

const metricsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { from: { type: 'integer', minimum: 0, default: 0 } },
} as const;

const streamOnly = {
  type: 'object',
  additionalProperties: false,
  properties: { stream: { type: 'string', enum: ['stdout', 'stderr'], default: 'stdout' } },
} as const;

const searchQuery = {
  type: 'object',
  required: ['q'],
  additionalProperties: false,
  properties: {
    stream: { type: 'string', enum: ['stdout', 'stderr'], default: 'stdout' },
    q: { type: 'string', minLength: 1, maxLength: 200 },
    max: { type: 'integer', minimum: 1, maximum: logMatchesMax, default: 200 },
  },
} as const;

/** RW_NOT_FOUND unless the run is active, recorded, or has a directory. */
function requireRun(ctx: AppContext, id: string): void {
  const { layout } = ctx.ws;
  if (ctx.live.status().run?.id === id) return;
  if (historyRecordOf(layout, id) !== null) return;
  if (runFileRange(layout, id, 'config', 0, 0) !== null) return;
  throw new HttpError('RW_NOT_FOUND', `no run '${id}' in this workspace`);
}

/** A metric value as JSON carries it (NaN and infinities arrive as strings and become null). */
function finiteValue(raw: unknown): number | null {
  return typeof raw === 'number' && Number.isFinite(raw) ? raw : null;
}

/** The metric points of the complete lines of `text`, by metric name, in file order. */
export function metricPointsOf(text: string): Record<string, MetricPoint[]> {
  const out: Record<string, MetricPoint[]> = {};
  for (const line of text.split('\n')) {
    if (!line.includes('"metric"')) continue;
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      continue; // a torn or foreign line: the progress reader reports it, the chart skips it
    }
    if (typeof event !== 'object' || event === null) continue;
    const e = event as { kind?: unknown; name?: unknown; value?: unknown; step?: unknown; t?: unknown };
    if (e.kind !== 'metric' || typeof e.name !== 'string' || e.name === '') continue;
    const step = typeof e.step === 'number' && Number.isFinite(e.step) ? e.step : null;
    const t = typeof e.t === 'string' ? Date.parse(e.t) : typeof e.t === 'number' ? e.t : Number.NaN;
    const points = out[e.name] ?? [];
    out[e.name] = points;
    points.push([step, Number.isFinite(t) ? t : null, finiteValue(e.value)]);
  }
  return out;
}

/** Optional routes the dashboard draws only when the server has them (other issues add them). */
export const optionalRoutes = [
  'GET /api/queue',
  'GET /api/slots',
  'GET /api/compare',
  'POST /api/runs/:id/note',
  'POST /api/runs/:id/tags',
  'POST /api/runs/:id/abort',
  'POST /api/queue/:id/move',
  'POST /api/checkpoint',
  'POST /api/pause',
  'POST /api/resume',
] as const;

/**
 * Collect the routes registered on `app` from now on (call before registering them), so
 * GET /api/features can tell the page which optional routes exist without it probing for 404s.
 */
export function collectRoutes(app: FastifyInstance): ReadonlySet<string> {
  const routes = new Set<string>();
  app.addHook('onRoute', (route) => {
    const url = route.url.slice(app.prefix.length) || '/';
    for (const method of [route.method].flat()) routes.add(`${method} ${url}`);
  });
  return routes;
}

/** Register GET /api/features (which optional routes this server has), GET /api/runs/:id/metrics, /api/runs/:id/logs/search and /api/runs/:id/logs/raw. */
export function runSeriesRoutes(app: FastifyInstance, ctx: AppContext, routes: ReadonlySet<string>): void {
  app.get('/api/features', async () => ({ routes: optionalRoutes.filter((r) => routes.has(r)) }));

  app.get<{ Params: { id: string }; Querystring: { from: number } }>(
    '/api/runs/:id/metrics',
    { schema: { params: runIdParams, querystring: metricsQuery } },
    async (request) => {
      const { id } = request.params;
      requireRun(ctx, id);
      const read = runFileRange(ctx.ws.layout, id, 'events', request.query.from, metricsChunkBytesMax);
      if (read === null) return { from: 0, to: 0, size: 0, metrics: {} };
      const { bytes, fromBytes, sizeBytes } = read;
      // Complete lines only: the rest is read again from `to` next time.
      const end = bytes.lastIndexOf(10) + 1;
      const text = Buffer.from(bytes.subarray(0, end)).toString('utf8');
      return { from: fromBytes, to: fromBytes + end, size: sizeBytes, metrics: metricPointsOf(text) };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { stream: 'stdout' | 'stderr'; q: string; max: number } }>(
    '/api/runs/:id/logs/search',
    { schema: { params: runIdParams, querystring: searchQuery } },
    async (request) => {
      const { id } = request.params;
      const { stream, q, max } = request.query;
      const read = runFileRange(ctx.ws.layout, id, stream, -logSearchBytesMax, logSearchBytesMax);
      if (read === null) {
        requireRun(ctx, id);
        throw new HttpError(
          'RW_NOT_FOUND',
          `the ${stream} log of run ${id} does not exist (its directory may have been deleted)`,
        );
      }
      const lines = Buffer.from(read.bytes).toString('utf8').split(/\r?\n/);
      if (lines.at(-1) === '') lines.pop();
      const needle = q.toLowerCase();
      const matches: { line: number; text: string }[] = [];
      let total = 0;
      // Line numbers count from the first line read (1 when the whole file was read).
      const skipFirst = read.fromBytes > 0;
      lines.forEach((raw, i) => {
        if (skipFirst && i === 0) return;
        const shown = lastRedraw(raw);
        if (!withoutEscapes(shown).toLowerCase().includes(needle)) return;
        total += 1;
        if (matches.length < max) matches.push({ line: i + 1, text: shown.slice(0, 2_000) });
      });
      return { stream, q, matches, total, partial: skipFirst, size: read.sizeBytes };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { stream: 'stdout' | 'stderr' } }>(
    '/api/runs/:id/logs/raw',
    { schema: { params: runIdParams, querystring: streamOnly } },
    async (request, reply) => {
      const { id } = request.params;
      const { stream } = request.query;
      const read = runFileWhole(ctx.ws.layout, id, stream, logDownloadBytesMax);
      if (read === null) {
        requireRun(ctx, id);
        throw new HttpError(
          'RW_NOT_FOUND',
          `the ${stream} log of run ${id} does not exist (its directory may have been deleted)`,
        );
      }
      if (!(read instanceof Uint8Array)) {
        throw new HttpError(
          'RW_TOO_LARGE',
          `the ${stream} log of run ${id} is ${read.tooLarge} bytes, over the ${logDownloadBytesMax}-byte download bound; copy it from the run directory (runwarden show ${id})`,
        );
      }
      return reply
        .type('text/plain; charset=utf-8')
        .header('Content-Disposition', `attachment; filename="${id}-${stream}.log"`)
        .send(Buffer.from(read));
    },
  );
}
