// State-changing routes: start a run (the same Workspace.start the CLI uses) and abort the active
// one (a command to the server's own actor, which watches the run, so every tab sees `aborting`).
import type { FastifyInstance } from 'fastify';
import type { RetentionPolicy } from '../../../machine/types.ts';
import type { StatusView } from '../../api/status-view.ts';
import type { AppContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { abortBody, submitBody } from '../schemas.ts';

interface StartBody {
  argv: string[];
  name?: string;
  graceMs?: number;
  stallAfterMs?: number;
  abortOnStall?: boolean;
  retention?: Partial<RetentionPolicy>;
  // issue 12: submit to the queue (`queue: true`), and what the run needs and waits for
  queue?: boolean;
  gpus?: number;
  after?: string[];
  afterOk?: string[];
  priority?: number;
  hold?: boolean;
  tags?: string[];
  note?: string;
  params?: Record<string, string>;
  // Issue 18: the dashboard's start form.
  cwd?: string;
  env?: Record<string, string>;
}

interface AbortBody {
  force?: boolean;
  graceMs?: number;
  runId?: string;
}

/** How long an abort waits for the server's actor to rest (recovery after another process's start). */
const settleMs = 10_000;

/** What an abort request did: `sent` false when the run was already aborting that way (idempotent). */
export interface AbortReply {
  readonly sent: boolean;
  readonly status: StatusView;
}

/** Send the abort to the server's session; a second abort of the same run is a no-op, not an error. */
async function abortActive(ctx: AppContext, body: AbortBody): Promise<AbortReply> {
  const session = ctx.live.session;
  const snap = await session.waitFor((s) => s.hasTag('settled'), 'the workspace to settle', settleMs);
  const runId = snap.context.run?.runId;
  if (!snap.hasTag('live') || runId === undefined) {
    throw new HttpError('RW_NO_ACTIVE_RUN', 'no run is active (it may just have ended)');
  }
  if (body.runId !== undefined && body.runId !== runId) {
    throw new HttpError('RW_NO_ACTIVE_RUN', `run ${body.runId} is no longer active`);
  }
  const abort = snap.context.abort;
  const already = abort !== null && (abort.forced || body.force !== true);
  if (!already) {
    const at = Date.now();
    if (body.force === true) session.actor.send({ type: 'run.force', at });
    else
      session.actor.send({
        type: 'run.abort',
        at,
        ...(body.graceMs === undefined ? {} : { graceMs: body.graceMs }),
      });
  }
  return { sent: !already, status: ctx.live.status() };
}

/** Register POST /api/runs (start) and POST /api/abort. */
export function controlRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post<{ Body: StartBody }>('/api/runs', { schema: { body: submitBody } }, async (request, reply) => {
    const body = request.body;
    const options = {
      argv: body.argv,
      ...(body.name === undefined ? {} : { name: body.name }),
      ...(body.graceMs === undefined ? {} : { graceMs: body.graceMs }),
      ...(body.stallAfterMs === undefined ? {} : { stallAfterMs: body.stallAfterMs }),
      ...(body.abortOnStall === undefined ? {} : { abortOnStall: body.abortOnStall }),
      ...(body.retention === undefined ? {} : { retention: body.retention }),
      ...(body.gpus === undefined ? {} : { gpus: body.gpus }),
      ...(body.cwd === undefined ? {} : { cwd: body.cwd }),
      ...(body.env === undefined ? {} : { env: body.env }),
      // Issue 17: labels (the run card is captured as for the CLI's start).
      ...(body.tags === undefined ? {} : { tags: body.tags }),
      ...(body.note === undefined ? {} : { note: body.note }),
      ...(body.params === undefined ? {} : { params: body.params }),
    };
    if (body.queue !== true) {
      if (body.after !== undefined || body.afterOk !== undefined || body.priority !== undefined || body.hold)
        throw new HttpError('RW_BAD_REQUEST', 'after, afterOk, priority and hold go with queue: true');
      const started = await ctx.ws.start(options);
      await ctx.queue.refresh();
      return reply.code(201).send(started);
    }
    const submitted = await ctx.ws.submit({
      ...options,
      ...(body.after === undefined ? {} : { after: body.after }),
      ...(body.afterOk === undefined ? {} : { afterOk: body.afterOk }),
      ...(body.priority === undefined ? {} : { priority: body.priority }),
      ...(body.hold === true ? { hold: true } : {}),
    });
    await ctx.queue.refresh();
    return reply.code(201).send({
      id: submitted.id,
      state: submitted.state,
      position: submitted.position,
      slots: submitted.slots,
    });
  });

  app.post<{ Body: AbortBody }>('/api/abort', { schema: { body: abortBody } }, async (request, reply) => {
    const result = await abortActive(ctx, request.body ?? {});
    return reply.code(result.sent ? 202 : 200).send(result);
  });
}
