// Issue 17 routes: GET /api/compare?runs=a,b[&metric=loss,acc] (the shape `runwarden compare
// --json` prints) and the edits of an ended run's labels, POST /api/runs/:id/tags {add, remove}
// and POST /api/runs/:id/note {note}. Behind the same Host, origin and token checks as every route.
import type { FastifyInstance } from 'fastify';
import { compareRuns } from '../../api/compare.ts';
import { editNote, editTags, runCardOf } from '../../api/run-card.ts';
import { tagPattern } from '../../api/run-meta.ts';
import type { AppContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { runIdParams } from '../schemas.ts';

const runList = '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}(,[A-Za-z0-9][A-Za-z0-9._-]{0,127}){1,31}$';
const metricList = '^[^,]{1,128}(,[^,]{1,128}){0,63}$';

const compareQuery = {
  type: 'object',
  required: ['runs'],
  additionalProperties: false,
  properties: {
    runs: { type: 'string', pattern: runList, maxLength: 4200 },
    metric: { type: 'string', pattern: metricList, maxLength: 8300 },
  },
} as const;

const tagList = {
  type: 'array',
  maxItems: 64,
  items: { type: 'string', pattern: tagPattern.source },
} as const;
const tagsBody = {
  type: 'object',
  additionalProperties: false,
  properties: { add: tagList, remove: tagList },
} as const;
const noteBody = {
  type: 'object',
  required: ['note'],
  additionalProperties: false,
  properties: { note: { type: 'string', maxLength: 4096 } },
} as const;

/** The ended run `id` (404 while it runs or when unknown). */
function endedRunId(ctx: AppContext, id: string): string {
  if (ctx.ws.history(id) === null) {
    const active = ctx.live.status().run?.id === id;
    throw new HttpError(
      'RW_NOT_FOUND',
      active ? `run ${id} has not ended yet` : `no ended run '${id}' in this workspace`,
    );
  }
  return id;
}

/** Register GET /api/compare, GET /api/runs/:id/card, POST /api/runs/:id/tags and POST /api/runs/:id/note. */
export function annotationRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get<{ Querystring: { runs: string; metric?: string } }>(
    '/api/compare',
    { schema: { querystring: compareQuery } },
    async (request) => {
      const { runs, metric } = request.query;
      return compareRuns(
        ctx.ws.layout,
        runs.split(','),
        metric === undefined ? {} : { metrics: metric.split(',') },
      );
    },
  );

  // The card of any run, live (from its directory, once written) or ended (from its record).
  app.get<{ Params: { id: string } }>(
    '/api/runs/:id/card',
    { schema: { params: runIdParams } },
    async (request) => {
      const { id } = request.params;
      const card = runCardOf(ctx.ws.layout, id, ctx.ws.history(id));
      if (card === null)
        throw new HttpError(
          'RW_NOT_FOUND',
          `run '${id}' has no run card (unknown, not captured yet, or --no-card)`,
        );
      return card;
    },
  );

  app.post<{ Params: { id: string }; Body: { add?: string[]; remove?: string[] } }>(
    '/api/runs/:id/tags',
    { schema: { params: runIdParams, body: tagsBody } },
    async (request) => {
      const id = endedRunId(ctx, request.params.id);
      const add = request.body?.add ?? [];
      const remove = request.body?.remove ?? [];
      if (add.length + remove.length === 0)
        throw new HttpError('RW_BAD_REQUEST', 'give tags to add or remove');
      const record = await editTags(ctx.ws.layout, id, { add, remove });
      return { id, tags: record.tags ?? [] };
    },
  );

  app.post<{ Params: { id: string }; Body: { note: string } }>(
    '/api/runs/:id/note',
    { schema: { params: runIdParams, body: noteBody } },
    async (request) => {
      const id = endedRunId(ctx, request.params.id);
      const record = await editNote(ctx.ws.layout, id, request.body.note);
      return { id, note: record.note ?? null };
    },
  );
}
