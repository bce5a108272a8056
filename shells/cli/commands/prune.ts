// `runwarden prune`: delete ended runs' directories on purpose (issue 14), saying what it frees.
// Nothing is ever deleted without it (or a per-run retention); history records always stay.
import type { PruneItem, PruneReport } from '../../api/prune.ts';
import { pruneWorkspace } from '../../api/prune.ts';
import type { Workspace } from '../../api/workspace.ts';
import { formatTime, printJson } from '../output.ts';
import type { OutcomeFilter } from '../parse.ts';

export interface PruneFlags {
  outcome?: OutcomeFilter[];
  olderThan?: number;
  keepLast?: number;
  budget?: number;
  dryRun?: boolean;
  json?: boolean;
}

/** `1.4 GiB`, `312 KiB`, `17 B`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return i === 0 ? `${bytes} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[i]}`;
}

const row = (item: PruneItem) =>
  `  ${item.runId}  ${item.outcome.padEnd(9)}  ended ${formatTime(item.endedAt)}  ${formatBytes(item.bytes)}`;

function text(report: PruneReport): string {
  const verb = report.dryRun ? 'would delete' : 'deleted';
  const lines: string[] = [];
  if (report.deleted.length === 0) lines.push(`nothing to prune${report.dryRun ? ' (dry run)' : ''}`);
  else {
    lines.push(`${verb} ${report.deleted.length} run director${report.deleted.length === 1 ? 'y' : 'ies'}:`);
    lines.push(...report.deleted.map(row));
  }
  for (const k of report.kept) lines.push(`kept ${k.runId}: ${k.keptBecause ?? ''}`);
  for (const e of report.errors) lines.push(`error: ${e}`);
  const budget = report.budgetBytes === null ? '' : ` (budget ${formatBytes(report.budgetBytes)})`;
  lines.push(
    `${report.dryRun ? 'would free' : 'freed'} ${formatBytes(report.freedBytes)}; run directories ${formatBytes(report.usedBytesBefore)} -> ${formatBytes(report.usedBytesAfter)}${budget}`,
    'history records are kept: runwarden list / show still show every run',
  );
  if (report.dryRun && report.deleted.length > 0) lines.push('run again without --dry-run to delete');
  return `${lines.join('\n')}\n`;
}

export async function pruneCommand(ws: Workspace, flags: PruneFlags): Promise<number> {
  const report = await pruneWorkspace(ws, {
    ...(flags.outcome === undefined ? {} : { outcomes: flags.outcome }),
    ...(flags.olderThan === undefined ? {} : { olderThanMs: flags.olderThan }),
    ...(flags.keepLast === undefined ? {} : { keepLast: flags.keepLast }),
    ...(flags.budget === undefined ? {} : { budgetBytes: flags.budget }),
    dryRun: flags.dryRun === true,
  });
  if (flags.json === true) printJson(report);
  else process.stdout.write(text(report));
  return report.errors.length > 0 ? 1 : 0;
}
