// `runwarden watch [RUN]`: a live view of the active run that never blocks on the job; on its end
// (or for a run that had ended) the frozen view of how it ended. Exits with the run's exit code.
// Ctrl-C stops watching and leaves the run running.
import { join } from 'node:path';
import { RunwardenError } from '../../api/errors.ts';
import type { HistoryRecord } from '../../api/history.ts';
import { RunFollower } from '../../api/progress.ts';
import { sampleRunGpus } from '../../api/resources.ts';
import { tailLines } from '../../api/run-log.ts';
import type { Session } from '../../api/session.ts';
import type { StatusView } from '../../api/status-view.ts';
import { recordJson, statusJson } from '../../api/view-json.ts';
import type { Workspace } from '../../api/workspace.ts';
import { exitCodeOf } from '../exit-code.ts';
import { formatDuration, jobLine, printJsonLine, warn } from '../output.ts';
import { monitorLostLine, progressLines } from '../progress-lines.ts';
import { frameLines } from '../watch-frame.ts';
import { endLines } from './show.ts';

const ESC = String.fromCharCode(27);
const refreshMs = 250;
const logLinesShown = 5;
/** In a pipe, a progress line at most this often by default (CI logs). */
export const progressEveryDefaultMs = 10_000;

/** How `watch` prints. */
export interface WatchOptions {
  readonly json: boolean;
  /** With `json`: include the metric series in every line (long). */
  readonly series?: boolean;
  /** In a pipe: at most one progress line per this many ms. */
  readonly progressEveryMs?: number;
}

/**
 * Draws frames in place on a TTY (cursor up + clear). In a pipe, prints a line per change of
 * state and, while the run lives, a progress line at most every `progressEveryMs` when it moved.
 */
class Screen {
  private drawn = 0;
  private lastState = '';
  private lastProgress = '';
  private lastProgressAtMs = Number.NEGATIVE_INFINITY;
  private monitorLostSaid = false;
  private readonly tty = process.stdout.isTTY === true;
  private readonly progressEveryMs: number;

  constructor(progressEveryMs: number) {
    this.progressEveryMs = progressEveryMs;
  }

  draw(lines: readonly string[], view: StatusView, nowMs: number): void {
    if (!this.tty) {
      this.line(lines, view, nowMs);
      return;
    }
    const width = process.stdout.columns ?? 100;
    const fitted = lines.map((l) => (l.length > width ? `${l.slice(0, width - 1)}…` : l));
    process.stdout.write(`${this.up()}${fitted.map((l) => `${ESC}[2K${l}`).join('\n')}\n${ESC}[J`);
    this.drawn = fitted.length;
  }

  /** Replaces the live frame with `lines` for good (the frozen view at the end). */
  finish(lines: readonly string[]): void {
    const clear = this.tty ? `${this.up()}${ESC}[J` : '';
    this.drawn = 0;
    process.stdout.write(`${clear}${lines.join('\n')}\n`);
  }

  private up(): string {
    return this.tty && this.drawn > 0 ? `${ESC}[${this.drawn}F` : '';
  }

  /** The pipe's output for one frame. */
  private line(lines: readonly string[], view: StatusView, nowMs: number): void {
    const state = view.state;
    const living = state !== 'idle' && state !== 'recovering' && state !== 'finalizing';
    if (living && state !== this.lastState) process.stdout.write(`${lines[0] ?? state}\n`);
    this.lastState = state;
    if (!living || view.run === null) return;
    if (view.run.monitorLost && !this.monitorLostSaid) {
      process.stdout.write(`${monitorLostLine(view.run.pid)}\n`);
      this.monitorLostSaid = true;
    }
    // The job's progress decides whether a line is due; the resource samples (issue 17) ride along.
    const moved = progressLines(view.run.progress, { resources: false })
      .map((l) => l.trim())
      .join('  ');
    if (moved === '' || moved === this.lastProgress) return;
    if (nowMs - this.lastProgressAtMs < this.progressEveryMs) return;
    const progress = progressLines(view.run.progress)
      .map((l) => l.trim())
      .join('  ');
    const elapsed = view.run.elapsedMs === null ? '' : `[${formatDuration(view.run.elapsedMs)}] `;
    process.stdout.write(`${elapsed}${progress}\n`);
    this.lastProgress = moved;
    this.lastProgressAtMs = nowMs;
  }
}

/** The last lines of the run's logs, as a person reads them. */
function logTail(view: StatusView): string[] {
  if (view.run === null) return [];
  const out = tailLines(`${view.run.dir}/stdout.log`, logLinesShown);
  const err = tailLines(`${view.run.dir}/stderr.log`, 2);
  return [...out, ...err].slice(-logLinesShown).map((l) => jobLine(l));
}

/** The frozen view of an ended run: how it ended, its last progress, where it is, how to see more. */
function frozenView(ws: Workspace, record: HistoryRecord): string[] {
  return endLines(record, join(ws.dir, record.runId));
}

/** Follow run `runId` in an open session until it ends; returns the exit code. */
async function follow(ws: Workspace, session: Session, runId: string, opts: WatchOptions): Promise<number> {
  const screen = new Screen(opts.progressEveryMs ?? progressEveryDefaultMs);
  // One follower for the whole watch: each frame reads only what the job wrote since the last.
  const follower = new RunFollower(join(ws.dir, runId));
  const render = () => {
    const view = ws.view(session.snapshot(), follower);
    const now = Date.now();
    if (opts.json) printJsonLine(statusJson(view, { series: opts.series === true }));
    else screen.draw([...frameLines(view, now), ...logTail(view)], view, now);
  };
  render();
  // Issue 17: a watcher samples the run's GPUs (one follower per run, by lease; no GPU: nothing).
  const first = ws.view(session.snapshot(), 'skip').run;
  const stopGpus = first === null ? () => {} : sampleRunGpus(ws, first);
  const timer = setInterval(render, opts.json ? 1_000 : refreshMs);
  // Issue 20: the exit is shown as soon as the machine has read it (the run left `live`), not
  // after the end is recorded (claim, history record, retention), which then finishes as before.
  let exitShown = false;
  const exitWatch = session.actor.subscribe((snap) => {
    if (exitShown || snap.hasTag('live')) return;
    exitShown = true;
    render();
  });
  const onInterrupt = () => {
    clearInterval(timer);
    session.stop();
    warn(`stopped watching; run ${runId} keeps running (stop it with: runwarden abort)`);
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  try {
    const record = await ws.awaitEnd(session, runId);
    clearInterval(timer);
    if (opts.json) printJsonLine(recordJson(record, { series: opts.series === true }));
    else screen.finish(frozenView(ws, record));
    return exitCodeOf(record);
  } finally {
    clearInterval(timer);
    exitWatch.unsubscribe();
    stopGpus();
    process.off('SIGINT', onInterrupt);
  }
}

/** Watch run `runId` (or the active run); an ended run gets its frozen view. */
export async function watchRun(
  ws: Workspace,
  runId: string | undefined,
  opts: WatchOptions,
): Promise<number> {
  // issue 12: a run of another slot is followed by that slot's actor (the first slot it holds).
  const session = ws.openSession(runId === undefined ? undefined : ws.slotOfRun(runId));
  try {
    const settled = await session.settled(30_000);
    const active = settled.hasTag('live') ? (settled.context.run?.runId ?? null) : null;
    // Nothing active: report how the latest run ended (it may have ended a moment ago).
    const target = runId ?? active ?? ws.resolveRun(undefined, 'latest');
    if (target !== active) {
      const record = ws.history(target);
      if (record === null)
        throw new RunwardenError(
          'RW_NOT_FOUND',
          `no run ${target} in ${ws.dir}; see runs with: runwarden list`,
        );
      if (opts.json) printJsonLine(recordJson(record, { series: opts.series === true }));
      else process.stdout.write(`${frozenView(ws, record).join('\n')}\n`);
      return exitCodeOf(record);
    }
    return await follow(ws, session, target, opts);
  } finally {
    session.stop();
  }
}

export function watchCommand(
  ws: Workspace,
  runId: string | undefined,
  opts: { json?: boolean; series?: boolean; progressEvery?: number },
): Promise<number> {
  return watchRun(ws, runId, {
    json: opts.json === true,
    series: opts.series === true,
    ...(opts.progressEvery === undefined ? {} : { progressEveryMs: opts.progressEvery }),
  });
}
