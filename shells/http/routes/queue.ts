// issue 12 routes: the queue and its edits, the slots, and the abort of one run by id (a live
// run of any slot, or a queued one, ended without a process). Each is the library call the CLI
// makes; after a change the server looks again at once, so the reply and the next events agree.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { moveBody, runAbortBody, runIdParams } from '../schemas.ts';

type IdParams = { Params: { id: string } };

/** Register GET /api/queue, POST /api/queue/*, GET /api/slots and POST /api/runs/:id/abort. */
export function queueRoutes(app: FastifyInstance, ctx: AppContext): void {
  const changed = async () => {
    await ctx.queue.refresh();
    return ctx.queue.queue();
  };

  app.get('/api/queue', async () => ctx.queue.queue());

  app.post('/api/queue/pause', async () => {
    await ctx.ws.queuePause();
    return changed();
  });

  app.post('/api/queue/resume', async () => {
    await ctx.ws.queueResume();
    return changed();
  });

  app.post<IdParams>('/api/queue/:id/rm', { schema: { params: runIdParams } }, async (request) => {
    const record = await ctx.ws.queueRemove(request.params.id);
    await ctx.queue.refresh();
    return { id: request.params.id, record: record ?? null };
  });

  app.post<IdParams & { Body: { priority: number } }>(
    '/api/queue/:id/move',
    { schema: { params: runIdParams, body: moveBody } },
    async (request) => {
      await ctx.ws.queueMove(request.params.id, request.body.priority);
      return changed();
    },
  );

  app.post<IdParams>('/api/queue/:id/release', { schema: { params: runIdParams } }, async (request) => {
    await ctx.ws.queueRelease(request.params.id);
    return changed();
  });

  app.post<IdParams>('/api/queue/:id/hold', { schema: { params: runIdParams } }, async (request) => {
    await ctx.ws.queueHold(request.params.id);
    return changed();
  });

  app.get('/api/slots', async () => ({ slots: (await ctx.queue.picture()).slots }));

  app.post<IdParams & { Body: { force?: boolean; graceMs?: number } | undefined }>(
    '/api/runs/:id/abort',
    {
      schema: { params: runIdParams, body: runAbortBody },
      // A bodiless POST is an abort with the run's own grace (the options are all optional).
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const body = request.body ?? {};
      const queued = (await ctx.ws.queue()).entries.some((e) => e.runId === id);
      if (queued) {
        const record = await ctx.ws.abort({ runId: id });
        await ctx.queue.refresh();
        return reply.code(200).send({ id, state: 'aborted', record });
      }
      const active = (await ctx.ws.status()).runs.some((r) => r.id === id);
      if (!active) throw new HttpError('RW_NOT_FOUND', `run ${id} is neither active nor queued`);
      await ctx.ws.abort({
        runId: id,
        wait: false,
        ...(body.force === true ? { force: true } : {}),
        ...(body.graceMs === undefined ? {} : { graceMs: body.graceMs }),
      });
      await ctx.queue.refresh();
      return reply.code(202).send({ id, state: 'aborting' });
    },
  );
}
