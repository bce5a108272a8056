// `runwarden abort [RUN]`: SIGINT, then SIGKILL after the grace; waits for the end by default.
// A queued RUN is taken out of the queue and recorded aborted, without a process (issue 12).
import { existsSync } from 'node:fs';
import { defaultCheckpointGraceMs, suspendRun } from '../../api/checkpoint.ts';
import { RunwardenError } from '../../api/errors.ts';
import { recordJson } from '../../api/view-json.ts';
import type { Workspace } from '../../api/workspace.ts';
import { endedHow } from '../exit-code.ts';
import { formatDuration, printJson } from '../output.ts';
import { severalActive } from '../run-choice.ts';
import { queuedRunOf } from './queue.ts';

export interface AbortFlags {
  force?: boolean;
  grace?: number;
  wait?: boolean;
  json?: boolean;
  ifActive?: boolean;
  checkpoint?: boolean;
  checkpointGrace?: number;
}

/** Issue 14: what an abort keeps (by default the whole directory: logs, checkpoints inside it). */
function keptLine(ws: Workspace, runId: string): string {
  const dir = ws.layout.runDir(runId);
  return existsSync(dir)
    ? `kept: ${dir} (logs, events and any checkpoint inside it); delete it later with runwarden prune\n`
    : `its directory was deleted (--on-abort delete); its history record and stderr tail are kept\n`;
}

export async function abortCommand(
  ws: Workspace,
  runArg: string | undefined,
  flags: AbortFlags,
): Promise<number> {
  const status = await ws.status();
  if (status.state === 'halted' && status.error !== null) throw RunwardenError.of(status.error);
  // issue 12: every slot's active run; a queued run is aborted without a process.
  const runs = status.runs;
  const activeIds = runs.map((r) => r.id);
  if (runArg === undefined && activeIds.length > 1) throw severalActive(activeIds, 'abort');
  const queued = runArg === undefined ? null : await queuedRun(ws, runArg);
  if (queued !== null) {
    const record = await ws.abort({ runId: queued });
    if (flags.json === true)
      printJson(record === null ? { id: queued, state: 'aborted' } : recordJson(record));
    else process.stdout.write(`run ${queued} was waiting in the queue: removed and recorded aborted\n`);
    return 0;
  }
  const runId = runArg === undefined ? undefined : ws.resolveRun(runArg, 'active');
  const active = runId === undefined ? (activeIds[0] ?? null) : activeIds.includes(runId) ? runId : null;
  if (activeIds.length === 0 && flags.ifActive === true) {
    if (flags.json === true) printJson({ id: null, state: status.state });
    else process.stdout.write('no run is active; nothing to abort\n');
    return 0;
  }
  if (activeIds.length === 0) {
    throw new RunwardenError(
      'RW_NO_ACTIVE_RUN',
      'no run is active in this workspace; nothing to abort (exit 4; pass --if-active to exit 0 instead)',
    );
  }
  if (active === null) {
    throw new RunwardenError(
      'RW_NOT_FOUND',
      `run ${runId} is not active (active: ${activeIds.join(', ')}); nothing to abort`,
    );
  }
  const graceMs = flags.grace ?? runs.find((r) => r.id === active)?.graceMs ?? 0;
  if (flags.checkpoint === true) {
    if (flags.force === true)
      throw new RunwardenError(
        'RW_USAGE',
        '--checkpoint and --force contradict each other: pass one of them',
      );
    return suspendCommand(ws, active, graceMs, flags);
  }
  if (flags.checkpointGrace !== undefined)
    throw new RunwardenError('RW_USAGE', '--checkpoint-grace needs --checkpoint: pass both');
  if (flags.json !== true) {
    const how = flags.force
      ? 'SIGKILL now'
      : `SIGINT now, SIGKILL in ${formatDuration(graceMs)} if still running`;
    process.stdout.write(`aborting ${active}: ${how}\n`);
  }
  const record = await ws.abort({
    runId: active,
    ...(flags.force ? { force: true } : {}),
    ...(flags.grace === undefined ? {} : { graceMs: flags.grace }),
    wait: flags.wait !== false,
  });
  if (record === null) {
    if (flags.json === true) printJson({ id: active, state: 'aborting' });
    else process.stdout.write(`abort of ${active} under way (follow it with: runwarden watch ${active})\n`);
    return 0;
  }
  if (flags.json === true) printJson(recordJson(record));
  else process.stdout.write(`run ${active} ${endedHow(record)}\n${keptLine(ws, active)}`);
  return 0;
}

/** Issue 14: `abort --checkpoint`: checkpoint-and-exit first, the plain abort only as the fallback. */
async function suspendCommand(
  ws: Workspace,
  active: string,
  graceMs: number,
  flags: AbortFlags,
): Promise<number> {
  const checkpointGraceMs = flags.checkpointGrace ?? defaultCheckpointGraceMs;
  if (flags.json !== true)
    process.stdout.write(
      `asking ${active} to checkpoint and exit: it has ${formatDuration(checkpointGraceMs)}; then SIGINT, SIGKILL ${formatDuration(graceMs)} later if still running\n`,
    );
  const record = await suspendRun(ws, active, { graceMs: checkpointGraceMs, wait: flags.wait !== false });
  if (record === null) {
    if (flags.json === true) printJson({ id: active, state: 'suspending' });
    else process.stdout.write(`checkpoint request sent to ${active} (follow it with: runwarden watch)\n`);
    return 0;
  }
  if (flags.json === true) {
    printJson(recordJson(record));
    return 0;
  }
  process.stdout.write(`run ${active} ${endedHow(record)}\n`);
  if (record.checkpoint !== undefined)
    process.stdout.write(
      `checkpoint: ${record.checkpoint.path}${record.checkpoint.step === null ? '' : ` (step ${record.checkpoint.step})`}\n`,
    );
  if (record.outcome === 'suspended') process.stdout.write(`resume it with: runwarden resume ${active}\n`);
  process.stdout.write(keptLine(ws, active));
  return 0;
}

/** The queued run `arg` names (exact id or unique prefix among the waiting entries), or null. */
async function queuedRun(ws: Workspace, arg: string): Promise<string | null> {
  const view = await ws.queue();
  const id = queuedRunOf(view, arg);
  return view.entries.some((e) => e.runId === id) ? id : null;
}
