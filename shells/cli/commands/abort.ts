// `runwarden abort [RUN]`: SIGINT, then SIGKILL after the grace; waits for the end by default.
import { existsSync } from 'node:fs';
import { defaultCheckpointGraceMs, suspendRun } from '../../api/checkpoint.ts';
import { RunwardenError } from '../../api/errors.ts';
import { recordJson } from '../../api/view-json.ts';
import type { Workspace } from '../../api/workspace.ts';
import { endedHow } from '../exit-code.ts';
import { formatDuration, printJson } from '../output.ts';

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
  runId: string | undefined,
  flags: AbortFlags,
): Promise<number> {
  const status = await ws.status();
  if (status.state === 'halted' && status.error !== null) throw RunwardenError.of(status.error);
  const active = status.run?.id ?? null;
  if (active === null && flags.ifActive === true) {
    if (flags.json === true) printJson({ id: null, state: status.state });
    else process.stdout.write('no run is active; nothing to abort\n');
    return 0;
  }
  if (active === null) {
    throw new RunwardenError(
      'RW_NO_ACTIVE_RUN',
      'no run is active in this workspace; nothing to abort (exit 4; pass --if-active to exit 0 instead)',
    );
  }
  if (runId !== undefined && runId !== active) {
    throw new RunwardenError(
      'RW_NOT_FOUND',
      `run ${runId} is not active (the active run is ${active}); nothing to abort`,
    );
  }
  const graceMs = flags.grace ?? status.run?.graceMs ?? 0;
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
    ...(flags.force ? { force: true } : {}),
    ...(flags.grace === undefined ? {} : { graceMs: flags.grace }),
    wait: flags.wait !== false,
  });
  if (record === null) {
    if (flags.json === true) printJson({ id: active, state: 'aborting' });
    else process.stdout.write(`abort of ${active} under way (follow it with: runwarden watch)\n`);
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
