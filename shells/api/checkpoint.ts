// Issue 14: asking a running job for a checkpoint (the run goes on), or for checkpoint-and-exit
// (the run ends `suspended` once the job acks and exits; no answer in the grace: aborted as by
// `abort`). The protocol: docs/protocol.md "Checkpoint requests".
import type { CheckpointReason, CheckpointRef, CheckpointRequest } from '../../machine/types.ts';
import { readNdjsonBackward } from '../../runtime/fs/ndjson-backward.ts';
import {
  checkpointRefOf,
  deliverCheckpointRequest,
  readCheckpointRequest,
} from '../../runtime/local/checkpoint-control.ts';
import type { HistoryRecord } from '../../runtime/local/history-store.ts';
import { readLock } from '../../runtime/local/lock-file.ts';
import { slotLayout } from '../../runtime/local/workspace-config.ts';
import { RunwardenError } from './errors.ts';
import type { LifecycleSnapshot } from './status-view.ts';
import type { Workspace } from './workspace.ts';

export type { CheckpointReason, CheckpointRef, CheckpointRequest };

/** How to ask for a checkpoint while the run goes on. */
export interface CheckpointOptions {
  /** Why (default `user`): the job reads it from the control file. */
  readonly reason?: CheckpointReason;
  /** Wait for the job's `checkpoint` event answering this request (default false). */
  readonly wait?: boolean;
  /** Bound on that wait (default 10 minutes): RW_TIMEOUT after it. */
  readonly timeoutMs?: number;
}

/** A request made, and (when waited for) the checkpoint that answered it. */
export interface CheckpointAnswer {
  readonly runId: string;
  readonly request: CheckpointRequest;
  /** The checkpoint event naming this request; null when not waited for. */
  readonly checkpoint: CheckpointRef | null;
}

/** The active run's lock record, checked to be `runId`'s and running (RW_NO_ACTIVE_RUN / RW_CONFLICT). */
async function runningLock(ws: Workspace, runId: string | undefined) {
  const status = await ws.status();
  if (status.runs.length === 0) throw new RunwardenError('RW_NO_ACTIVE_RUN', `no run is active in ${ws.dir}`);
  // Issue 12: any active run of any slot; without `runId`, the single active one (else RW_AMBIGUOUS).
  const active = ws.resolveRun(runId, 'active');
  const view = status.runs.find((r) => r.id === active);
  if (view === undefined)
    throw new RunwardenError(
      'RW_NOT_FOUND',
      `run ${active} is not active (the active runs: ${status.runs.map((r) => r.id).join(', ')})`,
    );
  const state = status.run?.id === active ? status.state : view.abort === null ? 'running' : 'aborting';
  if (state !== 'running' && state !== 'stalled')
    throw new RunwardenError(
      'RW_CONFLICT',
      `run ${active} is ${state}; a checkpoint request is only sent to a running job`,
    );
  const slot = ws.slotOfRun(active);
  const read = readLock(slot === undefined ? ws.layout.lock : slotLayout(ws.dir, slot).lock);
  if (!read.ok || read.value.state !== 'ok' || read.value.value.runId !== active)
    throw new RunwardenError('RW_NO_ACTIVE_RUN', `run ${active} ended meanwhile`);
  return read.value.value;
}

/**
 * Ask the active run's job for a checkpoint while it goes on: the request goes to the control file
 * (next sequence number) and the checkpoint signal to the job's group, identity checked. With
 * `wait`, resolves once the job reports a `checkpoint` event naming the request.
 */
export async function requestCheckpoint(
  ws: Workspace,
  runId: string | undefined,
  options: CheckpointOptions = {},
): Promise<CheckpointAnswer> {
  const lock = await runningLock(ws, runId);
  const sent = deliverCheckpointRequest(ws.layout, lock, {
    reason: options.reason ?? 'user',
    exit: false,
    graceMs: null,
    at: Date.now(),
  });
  if (!sent.ok) throw RunwardenError.of(sent.error);
  const request = sent.value;
  if (options.wait !== true) return { runId: lock.runId, request, checkpoint: null };
  const timeoutMs = options.timeoutMs ?? 600_000;
  const until = Date.now() + timeoutMs;
  for (let pause = 20; ; pause = Math.min(500, pause * 2)) {
    const found = answerOf(ws, lock.runId, request.seq);
    if (found !== null) return { runId: lock.runId, request, checkpoint: found };
    if (ws.history(lock.runId) !== null)
      throw new RunwardenError(
        'RW_NOT_FOUND',
        `run ${lock.runId} ended before it answered checkpoint request #${request.seq}`,
      );
    if (Date.now() >= until)
      throw new RunwardenError(
        'RW_TIMEOUT',
        `run ${lock.runId} did not report a checkpoint for request #${request.seq} in ${Math.round(timeoutMs / 1000)} s; does the job handle ${request.signal} (see docs/protocol.md)?`,
      );
    await new Promise((r) => setTimeout(r, pause));
  }
}

/** The checkpoint event answering request `seq` of run `runId`, or null (looks from the end). */
function answerOf(ws: Workspace, runId: string, seq: number): CheckpointRef | null {
  let found: CheckpointRef | null = null;
  let looked = 0;
  readNdjsonBackward(ws.layout.root, ws.layout.runFile(runId, 'events'), (record) => {
    const ref = checkpointRefOf(record);
    if (ref !== null && ref.request === seq) found = ref;
    return found === null && ++looked < 10_000;
  });
  return found;
}

/** How to ask for checkpoint-and-exit. */
export interface SuspendOptions {
  /** Time the job has to save, ack and exit before SIGINT, grace, SIGKILL (default 10 minutes). */
  readonly graceMs?: number;
  /** Wait for the run to end (default true); otherwise return once the request is out. */
  readonly wait?: boolean;
}

/** The checkpoint-and-exit grace when none is given (ms). */
export const defaultCheckpointGraceMs = 600_000;

/**
 * Ask the active run's job to checkpoint and exit. It ends `suspended` (its history record names
 * the checkpoint) once the job acks and exits; without an answer by the deadline it is aborted
 * as by `abort` (SIGINT, the run's grace, SIGKILL), even if no runwarden process is alive then
 * (its monitor keeps the deadline). Resolves with the history record (or null with wait: false).
 */
export async function suspendRun(
  ws: Workspace,
  runId: string | undefined,
  options: SuspendOptions = {},
): Promise<HistoryRecord | null> {
  const lock = await runningLock(ws, runId);
  const graceMs = options.graceMs ?? defaultCheckpointGraceMs;
  if (!Number.isFinite(graceMs) || graceMs <= 0)
    throw new RunwardenError('RW_USAGE', `--checkpoint-grace must be a positive duration, got ${graceMs} ms`);
  const session = ws.openSession();
  try {
    const settled = await session.settled(30_000);
    if (!settled.matches({ live: 'running' }) || settled.context.run?.runId !== lock.runId)
      throw new RunwardenError('RW_CONFLICT', `run ${lock.runId} is no longer running`);
    const priorSeq = readCheckpointRequest(ws.layout, lock.runId)?.seq ?? 0;
    session.actor.send({ type: 'run.checkpoint', at: Date.now(), graceMs, reason: 'user' });
    // The request is out once the asking state's actor is gone (done, or the run ended).
    const asked = (s: LifecycleSnapshot) =>
      !s.hasTag('suspending') || s.children.requestCheckpoint === undefined;
    await session.waitFor(asked, `the checkpoint request to ${lock.runId} to be sent`, 30_000);
    const request = readCheckpointRequest(ws.layout, lock.runId);
    if (request === null || request.seq <= priorSeq) {
      const error = session.actor.getSnapshot().context.error;
      if (error !== null) throw RunwardenError.of(error);
    }
    if (options.wait === false) return null;
    return await ws.awaitEnd(session, lock.runId);
  } finally {
    session.stop();
  }
}
