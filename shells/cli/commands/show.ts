// `runwarden show [RUN]`: one ended run's history record — how it ended and its frozen view
// (last progress, phases, metrics, checkpoint, error event, stderr tail).
import { RunwardenError } from '../../api/errors.ts';
import type { HistoryRecord } from '../../api/history.ts';
import type { Workspace } from '../../api/workspace.ts';
import { endedHow } from '../exit-code.ts';
import { formatArgv, formatDuration, formatTime, neutralize, painter, printJson } from '../output.ts';
import { progressLines } from '../progress-lines.ts';

/** The human lines of a history record. */
export function recordLines(record: HistoryRecord, stderrLinesMax = 10): string[] {
  const p = painter(process.stdout);
  const color = record.outcome === 'finished' ? p.green : p.red;
  const took = record.startedAt === null ? '' : ` after ${formatDuration(record.endedAt - record.startedAt)}`;
  const lines = [
    `run:     ${record.runId}`,
    `outcome: ${color(endedHow(record))}${took}`,
    `command: ${neutralize(formatArgv(record.config.argv))}`,
    `started: ${formatTime(record.startedAt)}   ended: ${formatTime(record.endedAt)}`,
  ];
  if (record.error !== null) lines.push(`error:   ${record.error.code}: ${neutralize(record.error.message)}`);
  const progress = progressLines(record.progress ?? null);
  if (progress.length > 0) lines.push('last progress:', ...progress);
  if (record.progress?.lastCheckpoint)
    lines.push(`checkpoint: ${neutralize(record.progress.lastCheckpoint.path)}`);
  const tail = record.stderrTail.slice(-stderrLinesMax);
  if (tail.length > 0 && record.outcome !== 'finished')
    lines.push('stderr (last lines):', ...tail.map((l) => `  ${p.dim(neutralize(l))}`));
  return lines;
}

export function showCommand(
  ws: Workspace,
  runArg: string | undefined,
  flags: { json?: boolean },
): Promise<number> {
  const runId = ws.resolveRun(runArg, 'latest');
  const record = ws.history(runId);
  if (record === null) {
    throw new RunwardenError(
      'RW_NOT_FOUND',
      `run ${runId} has not ended yet; follow it with: runwarden watch`,
    );
  }
  if (flags.json === true) printJson(record);
  else process.stdout.write(`${recordLines(record).join('\n')}\n`);
  return Promise.resolve(0);
}
