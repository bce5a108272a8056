// The lines of one frame of `runwarden watch`: state, run, elapsed, progress, abort countdown.
import type { StatusView } from '../api/status-view.ts';
import { formatDuration, painter } from './output.ts';
import { monitorLostLine, progressLines } from './progress-lines.ts';

/** The header lines of a frame for `view` at `now`. */
export function frameLines(view: StatusView, now: number): string[] {
  const p = painter(process.stdout);
  const run = view.run;
  if (run === null) return [`${p.dim('●')} ${view.state}`];
  const dot = view.state === 'running' ? p.green('●') : p.yellow('●');
  const elapsed = run.elapsedMs === null ? '' : `  elapsed ${formatDuration(run.elapsedMs)}`;
  const lines = [`${dot} ${p.bold(view.state)}  ${run.id}  pid ${run.pid ?? '-'}${elapsed}`];
  if (run.monitorLost) lines.push(`  ${p.red(monitorLostLine(run.pid))}`);
  lines.push(...progressLines(run.progress));
  if (run.abort !== null) {
    const kill =
      run.abort.killAt === null
        ? 'SIGKILL sent'
        : `SIGKILL in ${formatDuration(Math.max(0, run.abort.killAt - now))}`;
    lines.push(`  aborting: SIGINT sent, ${kill}`);
  }
  return lines;
}
