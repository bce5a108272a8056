// How progress reads in a terminal: a bar with percent, step/total, phase, rate and ETA, the
// latest metrics, the phases done, and the last error the job reported.
import type { ProgressSummary } from '../api/progress.ts';
import { formatDuration, neutralize, painter } from './output.ts';
import { isResourceMetric, resourceLine } from './resource-line.ts';

const barWidth = 24;

/** A number short enough for a status line: 0.4312, 4.9e-05, 1234. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  return abs !== 0 && (abs < 1e-3 || abs >= 1e6)
    ? value.toExponential(2)
    : String(Number(value.toPrecision(4)));
}

/** `[█████████░░░░░░]` for a fraction 0..1. */
function bar(fraction: number): string {
  const full = Math.max(0, Math.min(barWidth, Math.round(fraction * barWidth)));
  return `[${'█'.repeat(full)}${'░'.repeat(barWidth - full)}]`;
}

/** The line saying a run's monitor is gone while its job lives. */
export function monitorLostLine(pid: number | null): string {
  return `warning: the monitor of this job is gone (killed?) while the job${pid === null ? '' : ` (pid ${pid})`} lives: its exit code can no longer be recorded; the run will end orphaned`;
}

/** One line naming the first line of the events file that broke the protocol, and how many did. */
export function protocolWarning(bad: NonNullable<ProgressSummary['badEvents']>): string {
  const more = bad.count > 1 ? ` (${bad.count} bad lines in all)` : '';
  return `warning: events.ndjson line ${bad.line} was skipped: ${neutralize(bad.reason).slice(0, 200)}${more}; see docs/protocol.md`;
}

/** The lines describing progress (none when the job reported nothing). */
export function progressLines(
  progress: ProgressSummary | null,
  opts: { readonly resources?: boolean } = {},
): string[] {
  if (progress === null) return [];
  const p = painter(process.stdout);
  const lines: string[] = [];
  const fraction =
    progress.percent !== null
      ? progress.percent / 100
      : progress.step !== null && progress.total !== null && progress.total > 0
        ? progress.step / progress.total
        : null;
  const parts: string[] = [];
  if (fraction !== null) parts.push(p.cyan(bar(fraction)), `${(fraction * 100).toFixed(0).padStart(3)}%`);
  if (progress.step !== null)
    parts.push(progress.total === null ? `step ${progress.step}` : `${progress.step}/${progress.total}`);
  if (progress.phase !== null) parts.push(p.bold(neutralize(progress.phase)));
  if (progress.stepsPerS !== null) parts.push(`${formatNumber(progress.stepsPerS)} it/s`);
  if (progress.etaMs !== null) parts.push(`ETA ${formatDuration(progress.etaMs)}`);
  if (parts.length > 0) lines.push(`  ${parts.join('  ')}`);
  const metrics = Object.entries(progress.metrics)
    .filter(([name]) => !isResourceMetric(name))
    .slice(0, 6);
  if (metrics.length > 0)
    lines.push(
      `  ${metrics.map(([name, value]) => `${neutralize(name)} ${formatNumber(value)}`).join('  ')}`,
    );
  const resources = opts.resources === false ? null : resourceLine(progress.metrics); // issue 17
  if (resources !== null) lines.push(`  ${p.dim(resources)}`);
  if (progress.phasesDone.length > 0)
    lines.push(`  ${p.dim(`done: ${progress.phasesDone.map(neutralize).join(' → ')}`)}`);
  if (progress.message !== null && progress.message !== progress.phase)
    lines.push(`  ${p.dim(neutralize(progress.message).slice(0, 200))}`);
  if (progress.badEvents !== null) lines.push(`  ${p.yellow(protocolWarning(progress.badEvents))}`);
  if (progress.lastError !== null)
    lines.push(`  ${p.red(`error: ${neutralize(progress.lastError.message).slice(0, 200)}`)}`);
  return lines;
}
