// `runwarden status`: recover the workspace, report what recovery did, then the current state.

import { listHistory } from '../../api/history.ts';
import type { RunView, StatusView } from '../../api/status-view.ts';
import { statusJson } from '../../api/view-json.ts';
import type { Workspace, WorkspaceStatus } from '../../api/workspace.ts';
import { formatArgv, formatDuration, neutralize, painter, printJson, warn } from '../output.ts';
import { monitorLostLine, progressLines } from '../progress-lines.ts';
import { notice } from '../recovery-notes.ts';
import { holdLine } from './queue.ts';
import { recordLines } from './show.ts';

/** The human lines describing a status view. */
export function statusLines(view: StatusView, now: number): string[] {
  const p = painter(process.stdout);
  const run = view.run;
  const stateColor = view.state === 'running' ? p.green : view.state === 'idle' ? p.dim : p.yellow;
  const lines = [`state:   ${stateColor(view.state)}`];
  if (run !== null) {
    lines.push(`run:     ${run.id}`);
    lines.push(`command: ${neutralize(formatArgv(run.argv))}`);
    const elapsed = run.elapsedMs === null ? '' : `   elapsed: ${formatDuration(run.elapsedMs)}`;
    lines.push(`pid:     ${run.pid ?? '-'}${elapsed}`);
    lines.push(`dir:     ${run.dir}`);
    if (run.monitorLost) lines.push(p.red(monitorLostLine(run.pid)));
    const progress = progressLines(run.progress);
    if (progress.length > 0) lines.push('progress:', ...progress);
    if (run.abort !== null) {
      const kill =
        run.abort.killAt === null
          ? 'SIGKILL sent'
          : `SIGKILL in ${formatDuration(Math.max(0, run.abort.killAt - now))}`;
      lines.push(
        `abort:   SIGINT sent ${formatDuration(Math.max(0, now - run.abort.requestedAt))} ago; ${kill}`,
      );
    }
  }
  if (view.error !== null && view.state === 'halted')
    lines.push(`error:   ${view.error.code}: ${view.error.message}`);
  return lines;
}

/** A run's progress in one short line: `40/100 (40%)  train  ETA 3m05s`. */
function progressShort(progress: RunView['progress']): string {
  if (progress === null) return '';
  const parts: string[] = [];
  if (progress.step !== null)
    parts.push(progress.total === null ? `step ${progress.step}` : `${progress.step}/${progress.total}`);
  if (progress.percent !== null) parts.push(`(${progress.percent.toFixed(0)}%)`);
  if (progress.phase !== null) parts.push(neutralize(progress.phase).slice(0, 30));
  if (progress.etaMs !== null) parts.push(`ETA ${formatDuration(progress.etaMs)}`);
  return parts.join(' ');
}

/**
 * issue 12: every slot, free or the run it holds with its progress, and the queue's length and
 * hold. Nothing for a workspace of one slot and an empty queue (today's view is the whole story).
 */
export function slotAndQueueLines(view: WorkspaceStatus, now: number): string[] {
  const p = painter(process.stdout);
  const slots = view.slots;
  const queue = view.queue;
  const lines: string[] = [];
  const runs = new Map(view.runs.map((r) => [r.id, r]));
  if (slots.length > 1 || runs.size > 1) {
    const busy = slots.filter((s) => s.runId !== null).length;
    lines.push(`slots:   ${busy} of ${slots.length} busy`);
    const width = Math.max(...slots.map((s) => s.name.length));
    for (const slot of slots) {
      const name = slot.name.padEnd(width);
      const run = slot.runId === null ? undefined : runs.get(slot.runId);
      if (slot.runId === null) {
        lines.push(p.dim(`  ${name}  free`));
        continue;
      }
      const elapsed =
        run?.startedAt === null || run?.startedAt === undefined
          ? ''
          : `  ${formatDuration(Math.max(0, now - run.startedAt))}`;
      const progress = run === undefined ? '' : progressShort(run.progress);
      lines.push(`  ${name}  ${slot.runId}${elapsed}${progress === '' ? '' : `  ${progress}`}`);
    }
  }
  if (queue.waiting > 0 || queue.hold !== null) {
    const held = queue.held > 0 ? ` (${queue.held} held)` : '';
    lines.push(`queue:   ${queue.waiting} waiting${held}   see: runwarden queue`);
    const hold = holdLine(queue.hold);
    if (hold !== null) lines.push(p.yellow(`  ${hold}`));
  }
  return lines;
}

/** The newest history record, if any run ended. */
function latestRecord(ws: Workspace) {
  const newest = listHistory(ws.layout, { limit: 1 })[0];
  return newest === undefined ? null : ws.history(newest.id);
}

export async function statusCommand(
  ws: Workspace,
  opts: { json?: boolean; series?: boolean },
): Promise<number> {
  const view = await ws.status();
  const p = painter(process.stdout);
  if (opts.json === true) {
    printJson(statusJson(view, { series: opts.series === true }));
  } else {
    for (const note of view.recovered) notice(note);
    const lines = [...statusLines(view, Date.now()), ...slotAndQueueLines(view, Date.now())];
    // Idle: the frozen view of the run that ended last.
    const last = view.run === null ? latestRecord(ws) : null;
    if (last !== null) lines.push('', p.dim('last run:'), ...recordLines(last, 5).map((l) => `  ${l}`));
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  if (view.state === 'halted' && view.error !== null) {
    if (opts.json !== true) warn(`${view.error.message}`);
    return 1;
  }
  return 0;
}
