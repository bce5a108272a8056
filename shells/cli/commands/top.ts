// `runwarden top`: a full-screen live view of the workspace (issue 17). The screen never waits on
// I/O: background readers (the workspace status every second, the followed log every 250 ms)
// replace the data, and one draw loop renders the state (shells/cli/top/view.ts) and writes only
// the lines that changed. terminal-kit (loaded here only, so no other command pays for it) owns
// the terminal: full screen, raw keys, SIGWINCH resizes.
import { join } from 'node:path';
import { requestCheckpoint } from '../../api/checkpoint.ts';
import {
  LogFollowCursor,
  listHistory,
  RunwardenError,
  runLogSizeBytes,
  type Workspace,
} from '../../api/index.ts';
import { sampleRunGpus } from '../../api/resources.ts';
import { initialTopState, onKey, render, type TopEffect, type TopState, withData } from '../top/view.ts';

export interface TopFlags {
  /** Reading period of the workspace (ms); default 1 s. */
  refresh?: number;
}

const endedShown = 5;
const logLinesKept = 500;
const logTailBytes = 16 * 1024;
const drawEveryMs = 100;

/** Runs `top` until q (or Ctrl-C); 0 then. RW_USAGE (exit 2) when stdin/stdout is not a terminal. */
export async function topCommand(ws: Workspace, flags: TopFlags): Promise<number> {
  if (process.stdout.isTTY !== true || process.stdin.isTTY !== true) {
    throw new RunwardenError(
      'RW_USAGE',
      'runwarden top needs a terminal (stdin and stdout are not both a TTY); use runwarden status --json or watch instead',
    );
  }
  // terminal-kit is CommonJS: from ESM its exports arrive as the default export.
  const kit: typeof import('terminal-kit') & { default?: typeof import('terminal-kit') } = await import(
    'terminal-kit'
  );
  const term = kit.default?.terminal ?? kit.terminal;
  let state: TopState = initialTopState;
  let dirty = true;
  let drawn: string[] = [];
  const update = (next: TopState) => {
    state = next;
    dirty = true;
  };
  const stops: (() => void)[] = [];
  const samplers = new Map<string, () => void>();
  let done: (code: number) => void = () => {};
  const finished = new Promise<number>((resolve) => {
    done = resolve;
  });

  // Reader 1: the workspace (active runs, queue, last ended); one read at a time, never overlapping.
  let reading = false;
  const readWorkspace = async () => {
    if (reading) return;
    reading = true;
    try {
      const status = await ws.status();
      const queue = typeof ws.queue === 'function' ? ws.queue().entries : [];
      const ended = listHistory(ws.layout, { limit: endedShown });
      // A run that ended during the status read (its record is written now) is no longer
      // active: one row, ended, never an active row a key could still act on.
      const runs = (status.runs ?? (status.run === null ? [] : [status.run])).filter(
        (run) => !ended.some((e) => e.id === run.id),
      );
      update(withData(state, { runs, queue, ended, readAt: Date.now(), error: null }));
      // GPUs are sampled by a follower (one per run, by lease): this one, while it shows the run.
      for (const run of runs) if (!samplers.has(run.id)) samplers.set(run.id, sampleRunGpus(ws, run));
      for (const [id, stop] of samplers) {
        if (runs.some((run) => run.id === id)) continue;
        stop();
        samplers.delete(id);
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (state.data !== null) update({ ...state, data: { ...state.data, error: message } });
      else update({ ...state, message });
    } finally {
      reading = false;
    }
  };
  const dataTimer = setInterval(() => void readWorkspace(), flags.refresh ?? 1000);
  stops.push(() => clearInterval(dataTimer));
  void readWorkspace();

  // Reader 2: the followed run's stdout, from its last 16 KiB, as lines.
  let cursor: { runId: string; cursor: LogFollowCursor; partial: string } | null = null;
  const readLog = () => {
    const mode = state.mode;
    if (mode.kind !== 'follow') {
      cursor = null;
      return;
    }
    const run = state.data?.runs.find((r) => r.id === mode.runId);
    const path = join(run?.dir ?? join(ws.dir, mode.runId), 'stdout.log');
    try {
      if (cursor?.runId !== mode.runId) {
        const from = Math.max(0, runLogSizeBytes(ws.dir, path) - logTailBytes);
        cursor = { runId: mode.runId, cursor: new LogFollowCursor(ws.dir, path, from), partial: '' };
      }
      const follow = cursor;
      let text = '';
      follow.cursor.copyNew((bytes) => {
        text += bytes.toString('utf8');
      });
      if (text === '') return;
      const parts = (follow.partial + text).split('\n');
      follow.partial = parts.pop() ?? '';
      // A '\r'-redrawn tqdm line shows as its last state.
      const lines = parts.map(
        (line) =>
          line
            .split('\r')
            .filter((p) => p !== '')
            .at(-1) ?? '',
      );
      update({ ...state, logLines: [...state.logLines, ...lines].slice(-logLinesKept) });
    } catch (error) {
      update({ ...state, message: error instanceof Error ? error.message : String(error) });
    }
  };
  const logTimer = setInterval(readLog, 250);
  stops.push(() => clearInterval(logTimer));

  // What a key asked for, done in the background; the answer comes back as a message.
  const perform = (effect: TopEffect) => {
    if (effect.kind === 'quit') {
      done(0);
    } else if (effect.kind === 'abort') {
      ws.abort({ runId: effect.runId, wait: false }).then(
        () =>
          update({
            ...state,
            message: `abort of ${effect.runId} asked: SIGINT sent, SIGKILL after its grace`,
          }),
        (error: unknown) =>
          update({
            ...state,
            message: `abort of ${effect.runId} failed: ${error instanceof Error ? error.message : String(error)}`,
          }),
      );
    } else if (effect.kind === 'checkpoint') {
      // Issue 14: the request is written and signalled; the job answers with a checkpoint event.
      requestCheckpoint(ws, effect.runId).then(
        (answer) =>
          update({
            ...state,
            message: `checkpoint of ${effect.runId} asked (request ${answer.request.seq})`,
          }),
        (error: unknown) =>
          update({
            ...state,
            message: `checkpoint of ${effect.runId} failed: ${error instanceof Error ? error.message : String(error)}`,
          }),
      );
    }
  };

  // The one draw loop: render the state, write the lines that changed.
  const draw = () => {
    if (!dirty) return;
    dirty = false;
    const lines = render(state, Math.max(20, term.width), Math.max(5, term.height), Date.now());
    lines.forEach((line, i) => {
      if (drawn[i] === line) return;
      term.moveTo(1, i + 1);
      term.noFormat(line);
    });
    drawn = lines;
  };
  const drawTimer = setInterval(draw, drawEveryMs);
  const clockTimer = setInterval(() => {
    dirty = true; // the clock and the "ago" columns move
  }, 1000);
  stops.push(
    () => clearInterval(drawTimer),
    () => clearInterval(clockTimer),
  );

  term.fullscreen(true);
  term.hideCursor(true);
  term.grabInput({});
  const onTermKey = (name: string) => {
    const { state: next, effect } = onKey(state, name);
    update(next);
    perform(effect);
    draw();
  };
  const onResize = () => {
    drawn = []; // everything is drawn anew at the new size
    dirty = true;
  };
  term.on('key', onTermKey);
  term.on('resize', onResize);
  process.once('SIGTERM', () => done(0));
  draw();

  const code = await finished;
  for (const stop of stops) stop();
  for (const stop of samplers.values()) stop();
  term.off('key', onTermKey);
  term.off('resize', onResize);
  term.grabInput(false);
  term.hideCursor(false);
  term.fullscreen(false);
  return code;
}
