// Reading routes: the live status, the history of ended runs, one run, and its logs.
import { existsSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { listHistory, readRunConfig } from '../../api/history.ts';
import { progressOfRunDir } from '../../api/progress.ts';
import type { AppContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { readRange, readTail, safeLogPath } from '../log-read.ts';
import { progressViewOf } from '../progress-view.ts';
import { logTailOf } from '../run-watch.ts';
import { listQuery, logsQuery, runIdParams } from '../schemas.ts';

type Outcome = 'finished' | 'failed' | 'aborted' | 'orphaned';

/** One run: config, live status or history record, progress and log tails (frozen once ended). */
function runDetail(ctx: AppContext, id: string) {
  const status = ctx.live.status();
  const active = status.run?.id === id;
  const record = ctx.ws.history(id);
  const dir = ctx.ws.layout.runDir(id);
  const dirExists = existsSync(dir);
  if (!active && record === null && !dirExists) {
    throw new HttpError('RW_NOT_FOUND', `no run '${id}' in this workspace`);
  }
  const config = record?.config ?? readRunConfig(ctx.ws.layout, id);
  const watch = ctx.live.watchOf(id);
  const frozen = ctx.live.frozen(id);
  const progress =
    watch?.progress ??
    frozen?.progress ??
    (dirExists ? progressViewOf(progressOfRunDir(dir, { final: !active, pollBytesMax: 1024 * 1024 })) : null);
  const logs =
    watch?.logs ??
    frozen?.logs ??
    (dirExists
      ? {
          stdout: logTailOf(ctx.ws.layout.runFile(id, 'stdout')),
          stderr: logTailOf(ctx.ws.layout.runFile(id, 'stderr')),
        }
      : { stdout: [], stderr: record?.stderrTail.slice(-40) ?? [] });
  return {
    id,
    active,
    run: active ? status.run : null,
    state: active ? status.state : 'ended',
    config,
    record,
    progress,
    logs,
    dirExists,
  };
}

/** Register GET /api/status, /api/runs, /api/runs/:id and /api/runs/:id/logs. */
export function runRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/api/status', async () => ctx.live.snapshot());

  app.get<{ Querystring: { limit: number; outcome?: Outcome } }>(
    '/api/runs',
    { schema: { querystring: listQuery } },
    async (request) => {
      const { limit, outcome } = request.query;
      const runs = listHistory(ctx.ws.layout).filter((r) => outcome === undefined || r.outcome === outcome);
      return { runs: runs.slice(0, limit), total: runs.length };
    },
  );

  app.get<{ Params: { id: string } }>('/api/runs/:id', { schema: { params: runIdParams } }, async (request) =>
    runDetail(ctx, request.params.id),
  );

  app.get<{
    Params: { id: string };
    Querystring: { stream: 'stdout' | 'stderr'; tail?: number; from?: number; bytes: number };
  }>('/api/runs/:id/logs', { schema: { params: runIdParams, querystring: logsQuery } }, async (request) => {
    const { id } = request.params;
    const { stream, tail, from, bytes } = request.query;
    if (tail !== undefined && from !== undefined) {
      throw new HttpError('RW_BAD_REQUEST', 'give either tail or from, not both');
    }
    const path = safeLogPath(ctx.ws.dir, id, stream);
    if (from !== undefined) return readRange(path, stream, from, bytes);
    return readTail(path, stream, tail ?? 100);
  });
}
