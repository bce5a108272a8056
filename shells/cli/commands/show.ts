// `runwarden show [RUN]`: one ended run's history record — how it ended and its frozen view
// (last progress, phases, metrics, checkpoint, error event, stderr tail).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RunwardenError } from '../../api/errors.ts';
import type { HistoryRecord } from '../../api/history.ts';
import { cutArgv } from '../../api/status-view.ts';
import { recordJson } from '../../api/view-json.ts';
import type { Workspace } from '../../api/workspace.ts';
import { recordCardLines } from '../card-lines.ts';
import { endedHow } from '../exit-code.ts';
import {
  formatArgv,
  formatDuration,
  formatTime,
  jobLine,
  neutralize,
  painter,
  printJson,
} from '../output.ts';
import { progressLines } from '../progress-lines.ts';
import { notice } from '../recovery-notes.ts';

/** `finished after 3.1s`, `aborted (stalled; killed by SIGINT) after 2m05s`, coloured. */
function outcomeText(record: HistoryRecord): string {
  const p = painter(process.stdout);
  const color = record.outcome === 'finished' ? p.green : p.red;
  const took = record.startedAt === null ? '' : ` after ${formatDuration(record.endedAt - record.startedAt)}`;
  return `${color(endedHow(record))}${took}`;
}

/** What a run left: its last progress, metrics, checkpoint, error, stderr tail, dir and logs. */
function detailLines(record: HistoryRecord, stderrLinesMax: number, dir: string | null): string[] {
  const lines: string[] = [];
  if (record.error !== null) lines.push(`error:   ${record.error.code}: ${neutralize(record.error.message)}`);
  const progress = progressLines(record.progress ?? null);
  if (progress.length > 0) lines.push('last progress:', ...progress);
  if (record.progress?.lastCheckpoint)
    lines.push(`checkpoint: ${neutralize(record.progress.lastCheckpoint.path)}`);
  // Issue 14: the lineage (resumes and retries are one logical run).
  const lineage = record.config.lineage;
  if (lineage !== undefined)
    lines.push(
      `lineage: ${lineage.lineageId} (restart ${lineage.restartCount}, ${lineage.kind ?? 'resume'} of ${lineage.parentId}${lineage.resumeFrom == null ? '' : `, from ${neutralize(lineage.resumeFrom)}`})`,
    );
  if (record.outcome === 'suspended') lines.push(`resume:  runwarden resume ${record.runId}`);
  const tail = record.stderrTail.slice(-stderrLinesMax);
  if (tail.length > 0 && record.outcome !== 'finished')
    lines.push('stderr (last lines):', ...tail.map((l) => `  ${jobLine(l)}`));
  if (dir !== null) {
    if (existsSync(dir)) {
      lines.push(`dir:     ${dir}`, `logs:    runwarden logs ${record.runId}   (stderr: --stderr)`);
    } else {
      lines.push(
        `dir:     deleted (by its retention or runwarden prune); its stderr tail is kept: runwarden logs ${record.runId}`,
      );
    }
  }
  return lines;
}

/** How the job's tree was contained and whether its exit record was delayed (older records: none). */
function containmentLines(record: HistoryRecord): string[] {
  const c = record.containment;
  if (c === undefined || c === null || c.kind === null) return [];
  const how =
    c.kind === 'cgroup'
      ? 'a cgroup of its own (cgroup.kill)'
      : c.kind === 'subreaper'
        ? 'the monitor as child subreaper'
        : "only the job's process group (no cgroup, no subreaper here): descendants that left it may survive";
  const left = (c.leftovers ?? 0) > 0 ? `; ${c.leftovers} processes survived every kill` : '';
  const lines = [`contained: ${how}${left}`];
  if (c.delayedBy !== null)
    lines.push(`exit record: delayed ${formatDuration(c.delayMs ?? 0)} by ${c.delayedBy}`);
  return lines;
}

/** The human lines of a history record; with `dir`, where the run's files are and how to read them. */
export function recordLines(record: HistoryRecord, stderrLinesMax = 10, dir: string | null = null): string[] {
  return [
    `run:     ${record.runId}`,
    `outcome: ${outcomeText(record)}`,
    `command: ${neutralize(formatArgv(cutArgv(record.config.argv).argv))}`,
    `started: ${formatTime(record.startedAt)}   ended: ${formatTime(record.endedAt)}`,
    ...containmentLines(record),
    // Issue 17: tags, note, params, the run card and each metric's last/min/max.
    ...recordCardLines(record),
    ...detailLines(record, stderrLinesMax, dir),
  ];
}

/**
 * The frozen view `watch` prints when a run ends (or had ended): one line saying how, then what
 * it left and where (indented).
 */
export function endLines(record: HistoryRecord, dir: string): string[] {
  return [`run ${record.runId} ${outcomeText(record)}`, ...detailLines(record, 5, dir).map((l) => `  ${l}`)];
}

export async function showCommand(
  ws: Workspace,
  runArg: string | undefined,
  flags: { json?: boolean; series?: boolean; diff?: boolean },
): Promise<number> {
  // Recover first (as status does): a run that ended unwatched gets its record before we look.
  for (const note of await ws.recover()) if (flags.json !== true) notice(note);
  const runId = ws.resolveRun(runArg, 'latest');
  const record = ws.history(runId);
  if (record === null) {
    throw new RunwardenError(
      'RW_NOT_FOUND',
      `run ${runId} has not ended yet; follow it with: runwarden watch`,
    );
  }
  if (flags.diff === true) {
    // Issue 17: the uncommitted diff the run card kept (at most 1 MiB).
    const diff = record.card?.git?.diff ?? '';
    if (diff === '')
      throw new RunwardenError('RW_NOT_FOUND', `run ${runId}'s card holds no uncommitted diff`);
    process.stdout.write(neutralize(diff));
    return 0;
  }
  if (flags.json === true) printJson(recordJson(record, { series: flags.series === true }));
  else
    process.stdout.write(
      `${[...recordLines(record, 10, join(ws.dir, runId)), ...queueEndLines(record)].join('\n')}\n`,
    );
  return 0;
}

/** issue 12: the dependency a `dependency-failed` run waited for, and how that one ended. */
function queueEndLines(record: HistoryRecord): string[] {
  const dep = record.dependency;
  return dep === undefined
    ? []
    : [`dependency: ${dep.runId} (${dep.outcome}); it was needed to finish (--after-ok)`];
}
