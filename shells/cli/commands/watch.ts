// `runwarden watch [RUN]`: a live view of the active run that never blocks on the job; exits
// with the run's exit code when it ends. Ctrl-C stops watching and leaves the run running.
import { join } from 'node:path';
import { RunwardenError } from '../../api/errors.ts';
import { tailLines } from '../../api/logs.ts';
import { RunFollower } from '../../api/progress.ts';
import type { Session } from '../../api/session.ts';
import type { StatusView } from '../../api/status-view.ts';
import type { Workspace } from '../../api/workspace.ts';
import { endedHow, exitCodeOf } from '../exit-code.ts';
import { formatDuration, neutralize, painter, printJson, warn } from '../output.ts';
import { frameLines } from '../watch-frame.ts';

const ESC = String.fromCharCode(27);
const refreshMs = 250;
const logLinesShown = 5;

/** Draws frames in place on a TTY (cursor up + clear), or prints state changes as lines. */
class Screen {
  private drawn = 0;
  private lastState = '';
  private readonly tty = process.stdout.isTTY === true;

  draw(lines: readonly string[], state: string): void {
    if (!this.tty) {
      // In a pipe, one line per change of state while the run lives (its end is reported apart).
      const living = state !== 'idle' && state !== 'recovering' && state !== 'finalizing';
      if (living && state !== this.lastState) process.stdout.write(`${lines[0] ?? state}\n`);
      this.lastState = state;
      return;
    }
    const width = process.stdout.columns ?? 100;
    const fitted = lines.map((l) => (l.length > width ? `${l.slice(0, width - 1)}…` : l));
    const up = this.drawn > 0 ? `${ESC}[${this.drawn}F` : '';
    process.stdout.write(`${up}${fitted.map((l) => `${ESC}[2K${l}`).join('\n')}\n${ESC}[J`);
    this.drawn = fitted.length;
  }
}

/** The last lines of the run's logs, neutralised for the terminal. */
function logTail(view: StatusView): string[] {
  if (view.run === null) return [];
  const out = tailLines(`${view.run.dir}/stdout.log`, logLinesShown);
  const err = tailLines(`${view.run.dir}/stderr.log`, 2);
  return [...out, ...err].slice(-logLinesShown).map((l) => neutralize(l.split('\r').at(-1) ?? ''));
}

/** Follow run `runId` in an open session until it ends; returns the exit code. */
async function follow(ws: Workspace, session: Session, runId: string, json: boolean): Promise<number> {
  const screen = new Screen();
  // One follower for the whole watch: each frame reads only what the job wrote since the last.
  const follower = new RunFollower(join(ws.dir, runId));
  const render = () => {
    const view = ws.view(session.snapshot(), follower);
    if (json) printJson(view);
    else screen.draw([...frameLines(view, Date.now()), ...logTail(view)], view.state);
  };
  render();
  const timer = setInterval(render, json ? 1_000 : refreshMs);
  const onInterrupt = () => {
    clearInterval(timer);
    session.stop();
    warn(`stopped watching; run ${runId} keeps running (stop it with: runwarden abort)`);
    process.exit(130);
  };
  process.once('SIGINT', onInterrupt);
  try {
    const record = await ws.awaitEnd(session, runId);
    render();
    const code = exitCodeOf(record);
    if (json) {
      printJson(record);
    } else {
      const took =
        record.startedAt === null ? '' : ` after ${formatDuration(record.endedAt - record.startedAt)}`;
      const p = painter(process.stdout);
      const color = record.outcome === 'finished' ? p.green : p.red;
      process.stdout.write(`run ${runId} ${color(endedHow(record))}${took}\n`);
      for (const line of record.outcome === 'finished' ? [] : record.stderrTail.slice(-5)) {
        process.stdout.write(`  ${p.dim(neutralize(line))}\n`);
      }
    }
    return code;
  } finally {
    clearInterval(timer);
    process.off('SIGINT', onInterrupt);
  }
}

/** Watch run `runId` (or the active run); an ended run just reports how it ended. */
export async function watchRun(
  ws: Workspace,
  runId: string | undefined,
  opts: { json: boolean },
): Promise<number> {
  const session = ws.openSession();
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
      if (opts.json) printJson(record);
      else process.stdout.write(`run ${target} ${endedHow(record)} (it had ended already)\n`);
      return exitCodeOf(record);
    }
    return await follow(ws, session, target, opts.json);
  } finally {
    session.stop();
  }
}

export function watchCommand(
  ws: Workspace,
  runId: string | undefined,
  opts: { json?: boolean },
): Promise<number> {
  return watchRun(ws, runId, { json: opts.json === true });
}
