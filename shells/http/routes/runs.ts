// Reading routes: the live status, the history of ended runs, one run, and its logs. Every file
// is read through shells/api's confined readers (inside the workspace, no symlinks followed).
import { existsSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { progressOfRunDir } from '../../api/progress.ts';
import {
  historyList,
  historyRecordOf,
  readLogRange,
  readLogTail,
  runConfigSnapshotOf,
} from '../../api/run-files.ts';
import { progressJson, recordJson, statusJson } from '../../api/view-json.ts';
import type { AppContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import { progressViewOf } from '../progress-view.ts';
import { logLineCharsMax, logTailOf } from '../run-watch.ts';
import { listQuery, logsQuery, runIdParams } from '../schemas.ts';

type Outcome = 'finished' | 'failed' | 'aborted' | 'orphaned' | 'suspended';

/** One run: config, live status or history record, progress and log tails (frozen once ended). */
function runDetail(ctx: AppContext, id: string) {
  const { layout } = ctx.ws;
  const status = ctx.live.status();
  const record = historyRecordOf(layout, id);
  // issue 12: a run of another slot is active too (the server's last look at every slot saw it;
  // a history record, written since, wins over that look).
  const other = status.run?.id === id || record !== null ? null : ctx.queue.runOf(id);
  const active = status.run?.id === id || other !== null;
  const dir = layout.runDir(id);
  const dirExists = existsSync(dir);
  if (!active && record === null && !dirExists) {
    throw new HttpError('RW_NOT_FOUND', `no run '${id}' in this workspace`);
  }
  const config = record?.config ?? runConfigSnapshotOf(layout, id);
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
          stdout: logTailOf(layout, layout.runFile(id, 'stdout')),
          stderr: logTailOf(layout, layout.runFile(id, 'stderr')),
        }
      : { stdout: [], stderr: record?.stderrTail.slice(-40) ?? [] });
  return {
    id,
    active,
    run: other ?? (active ? status.run : null),
    state: other !== null ? (other.abort === null ? 'running' : 'aborting') : active ? status.state : 'ended',
    config,
    record,
    progress,
    logs,
    dirExists,
  };
}

/** Register GET /api/status, /api/runs, /api/runs/:id and /api/runs/:id/logs. */
export function runRoutes(app: FastifyInstance, ctx: AppContext): void {
  // The status view and records in the one JSON shape the CLI prints too (series on request).
  app.get<{ Querystring: { series?: string } }>('/api/status', async (request) => {
    const snap = ctx.live.snapshot();
    const opts = { series: request.query.series === '1' || request.query.series === 'true' };
    const lastEnded =
      snap.lastEnded === null ? null : { ...snap.lastEnded, record: recordJson(snap.lastEnded.record, opts) };
    // issue 12: every slot, every active run and the queue's summary beside the first run's status.
    const picture = await ctx.queue.picture();
    return { ...snap, status: statusJson(snap.status, opts), lastEnded, ...picture };
  });

  app.get<{ Querystring: { limit: number; outcome?: Outcome } }>(
    '/api/runs',
    { schema: { querystring: listQuery } },
    async (request) => {
      const { limit, outcome } = request.query;
      // One more than asked tells whether there are more, without reading the whole history.
      const runs = historyList(ctx.ws.layout, {
        limit: limit + 1,
        ...(outcome === undefined ? {} : { outcomes: [outcome] }),
      });
      return { runs: runs.slice(0, limit), more: runs.length > limit };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { series?: string } }>(
    '/api/runs/:id',
    { schema: { params: runIdParams } },
    async (request) => {
      const detail = runDetail(ctx, request.params.id);
      const opts = { series: request.query.series === '1' || request.query.series === 'true' };
      return {
        ...detail,
        run:
          detail.run === null ? null : { ...detail.run, progress: progressJson(detail.run.progress, opts) },
        record: detail.record === null ? null : recordJson(detail.record, opts),
      };
    },
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
    if (from !== undefined) return readLogRange(ctx.ws.layout, id, stream, from, bytes);
    return readLogTail(ctx.ws.layout, id, stream, tail ?? 100, logLineCharsMax);
  });
}
