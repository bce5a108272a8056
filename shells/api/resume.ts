// Issue 14: resuming an ended run. `resumeRun` starts a new run with the same config, linked to
// its parent in the history (RunConfig.lineage): the job gets RUNWARDEN_RESUME_FROM (the newest
// complete checkpoint still on disk, else the one before), RUNWARDEN_RESTART_COUNT and a
// RUNWARDEN_LINEAGE_ID that stays the same across restarts.
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { type RestartDecision, restartDecisionOf } from '../../machine/restart.ts';
import type { Lineage, RunConfig } from '../../machine/types.ts';
import { readNdjsonBackward } from '../../runtime/fs/ndjson-backward.ts';
import { checkpointRefOf } from '../../runtime/local/checkpoint-control.ts';
import type { HistoryRecord } from '../../runtime/local/history-store.ts';
import { RunwardenError } from './errors.ts';
import type { StartedRun, StartOptions, Workspace } from './workspace.ts';

/** How far back a lineage is followed for a checkpoint (a loop bound). */
const lineageDepthMax = 50;

/** A resumed (or retried) run as started. */
export interface ResumedRun extends StartedRun {
  readonly parentId: string;
  readonly lineageId: string;
  readonly restartCount: number;
  /** The checkpoint handed to the job; null when none was found on disk. */
  readonly resumeFrom: string | null;
}

/** The checkpoint paths a run reported, newest first: its events, its record, its parsed logs. */
function checkpointsOf(ws: Workspace, record: HistoryRecord): string[] {
  const paths: string[] = [];
  const cwd = record.config.cwd;
  const add = (path: string | undefined | null) => {
    if (path === undefined || path === null || path === '') return;
    const absolute = isAbsolute(path) ? path : resolve(cwd, path);
    if (!paths.includes(absolute)) paths.push(absolute);
  };
  if (record.checkpoint !== undefined) add(record.checkpoint.path);
  let looked = 0;
  readNdjsonBackward(ws.layout.root, ws.layout.runFile(record.runId, 'events'), (event) => {
    add(checkpointRefOf(event)?.path);
    return ++looked < 100_000 && paths.length < 64;
  });
  add(record.progress?.lastCheckpoint?.path);
  return paths;
}

/**
 * The checkpoint to resume `record` from: the newest complete one still on disk, else the one
 * before it, …; when the run reported none on disk, its parent's, and so on up the lineage.
 */
export function resumeCheckpointOf(ws: Workspace, record: HistoryRecord): string | null {
  let at: HistoryRecord | null = record;
  for (let depth = 0; at !== null && depth < lineageDepthMax; depth++) {
    const found = checkpointsOf(ws, at).find((path) => existsSync(path));
    if (found !== undefined) return found;
    const parent: string | undefined = at.config.lineage?.parentId;
    at = parent === undefined ? null : ws.history(parent);
  }
  return null;
}

/** The start options that repeat `config` as the next run of its lineage. */
export function restartOptionsOf(
  config: RunConfig,
  parentId: string,
  kind: 'resume' | 'retry',
  resumeFrom: string | null,
): StartOptions {
  const lineage: Lineage = {
    parentId,
    lineageId: config.lineage?.lineageId ?? config.runId,
    restartCount: (config.lineage?.restartCount ?? 0) + 1,
    resumeFrom,
    kind,
    retriesSoFar: (config.lineage?.retriesSoFar ?? 0) + (kind === 'retry' ? 1 : 0),
  };
  return {
    argv: config.argv,
    name: config.name,
    cwd: config.cwd,
    env: config.env,
    graceMs: config.graceMs,
    stallAfterMs: config.stallAfterMs,
    abortOnStall: config.abortOnStall,
    retention: config.retention,
    ...(config.checkpointSignal === undefined ? {} : { checkpointSignal: config.checkpointSignal }),
    ...(config.timeLimitMs === undefined ? {} : { timeLimitMs: config.timeLimitMs }),
    ...(config.checkpointBeforeMs === undefined ? {} : { checkpointBeforeMs: config.checkpointBeforeMs }),
    ...(config.retries === undefined ? {} : { retries: config.retries }),
    lineage,
  };
}

/**
 * Start the next run of `runArg`'s lineage (an ended run: id or unique prefix; default the latest)
 * with the same config. RW_CONFLICT for a finished run (nothing to resume) or while a run is
 * active; RW_NOT_FOUND when it has not ended.
 */
export async function resumeRun(ws: Workspace, runArg?: string): Promise<ResumedRun> {
  await ws.recover();
  const runId = ws.resolveRun(runArg, 'latest');
  const record = ws.history(runId);
  if (record === null)
    throw new RunwardenError('RW_NOT_FOUND', `run ${runId} has not ended; abort or suspend it first`);
  if (record.outcome === 'finished')
    throw new RunwardenError(
      'RW_CONFLICT',
      `run ${runId} finished; there is nothing to resume (start a new run)`,
    );
  const resumeFrom = resumeCheckpointOf(ws, record);
  const options = restartOptionsOf(record.config, runId, 'resume', resumeFrom);
  const started = await ws.start(options);
  const lineage = options.lineage as Lineage;
  return {
    ...started,
    parentId: runId,
    lineageId: lineage.lineageId,
    restartCount: lineage.restartCount,
    resumeFrom,
  };
}

/**
 * Issue 14: carry out the restart policy of the ended run `record` (RunConfig.retries): wait the
 * back-off, then start the next run of its lineage (a retry from its newest checkpoint, or a
 * resume of a suspended run). Null when the policy says no (`why` tells). Each attempt is a new
 * run with its own record; the parent has ended, so the two never run at once.
 */
export async function restartIfDue(
  ws: Workspace,
  record: HistoryRecord,
  onDecision: (decision: RestartDecision) => void = () => {},
): Promise<ResumedRun | null> {
  const decision = restartDecisionOf(record);
  onDecision(decision);
  if (decision.kind === 'none') return null;
  if (decision.delayMs > 0) await new Promise((r) => setTimeout(r, decision.delayMs));
  const resumeFrom = resumeCheckpointOf(ws, record);
  const options = restartOptionsOf(record.config, record.runId, decision.kind, resumeFrom);
  const started = await ws.start(options);
  const lineage = options.lineage as Lineage;
  return {
    ...started,
    parentId: record.runId,
    lineageId: lineage.lineageId,
    restartCount: lineage.restartCount,
    resumeFrom,
  };
}
