// `runwarden top`'s screen as data: what the background readers last brought, what the user
// selected, and the lines to draw. Pure (no I/O, no terminal): the draw loop only calls render().
import type { HistorySummary, QueueViewEntry, RunView } from '../../api/index.ts';
import { formatDuration, neutralize } from '../output.ts';
import { formatNumber } from '../progress-lines.ts';
import { formatBytes } from '../resource-line.ts';

/** What the readers brought last. */
export interface TopData {
  readonly runs: readonly RunView[];
  readonly queue: readonly QueueViewEntry[];
  readonly ended: readonly HistorySummary[];
  /** When the data was read (ms), and the reader's last error, if any. */
  readonly readAt: number;
  readonly error: string | null;
}

/** Which screen shows: the list, a run's log, or the abort question. */
export type TopMode =
  | { readonly kind: 'list' }
  | { readonly kind: 'follow'; readonly runId: string }
  | { readonly kind: 'confirm-abort'; readonly runId: string };

/** Everything the screen shows. */
export interface TopState {
  readonly data: TopData | null;
  readonly selected: number;
  readonly mode: TopMode;
  /** The followed run's newest log lines (bounded by the reader). */
  readonly logLines: readonly string[];
  /** One line of feedback ("abort of X asked", "checkpoint: not available"). */
  readonly message: string;
}

export const initialTopState: TopState = {
  data: null,
  selected: 0,
  mode: { kind: 'list' },
  logLines: [],
  message: '',
};

/** What a key asks for besides the new state: nothing, quit, abort a run, or a checkpoint. */
export type TopEffect =
  | { readonly kind: 'none' }
  | { readonly kind: 'quit' }
  | { readonly kind: 'abort'; readonly runId: string }
  | { readonly kind: 'checkpoint'; readonly runId: string };

const none: TopEffect = { kind: 'none' };

/** The run under the cursor, if any. */
export function selectedRun(state: TopState): RunView | null {
  return state.data?.runs[state.selected] ?? null;
}

/** A key (terminal-kit's names: UP, DOWN, ENTER, ESCAPE, or the character) applied to the state. */
export function onKey(state: TopState, key: string): { state: TopState; effect: TopEffect } {
  const mode = state.mode;
  if (mode.kind === 'confirm-abort') {
    if (key === 'y' || key === 'Y')
      return {
        state: { ...state, mode: { kind: 'list' }, message: `aborting ${mode.runId}…` },
        effect: { kind: 'abort', runId: mode.runId },
      };
    return { state: { ...state, mode: { kind: 'list' }, message: 'abort cancelled' }, effect: none };
  }
  if (mode.kind === 'follow') {
    if (key === 'q' || key === 'ESCAPE' || key === 'ENTER' || key === 'LEFT')
      return { state: { ...state, mode: { kind: 'list' }, logLines: [] }, effect: none };
    if (key === 'CTRL_C') return { state, effect: { kind: 'quit' } };
    return { state, effect: none };
  }
  const count = state.data?.runs.length ?? 0;
  const run = selectedRun(state);
  switch (key) {
    case 'q':
    case 'CTRL_C':
      return { state, effect: { kind: 'quit' } };
    case 'UP':
    case 'k':
      return { state: { ...state, selected: Math.max(0, state.selected - 1) }, effect: none };
    case 'DOWN':
    case 'j':
      return {
        state: { ...state, selected: Math.max(0, Math.min(count - 1, state.selected + 1)) },
        effect: none,
      };
    case 'ENTER':
      if (run === null) return { state: { ...state, message: 'no active run to follow' }, effect: none };
      return {
        state: { ...state, mode: { kind: 'follow', runId: run.id }, logLines: [], message: '' },
        effect: none,
      };
    case 'a':
      if (run === null) return { state: { ...state, message: 'no active run to abort' }, effect: none };
      return {
        state: { ...state, mode: { kind: 'confirm-abort', runId: run.id }, message: '' },
        effect: none,
      };
    case 'c':
      if (run === null) return { state: { ...state, message: 'no active run to checkpoint' }, effect: none };
      return { state, effect: { kind: 'checkpoint', runId: run.id } };
    default:
      return { state, effect: none };
  }
}

/** New data from the readers; the selection stays on the same run when it is still there. */
export function withData(state: TopState, data: TopData): TopState {
  const before = selectedRun(state)?.id;
  const at = before === undefined ? -1 : data.runs.findIndex((run) => run.id === before);
  const selected = at >= 0 ? at : Math.min(state.selected, Math.max(0, data.runs.length - 1));
  return { ...state, data, selected };
}

// Cut or pad `text` to exactly `width` columns (the text is plain: neutralized, no escapes).
function cell(text: string, width: number): string {
  const chars = [...text];
  return chars.length > width ? `${chars.slice(0, Math.max(0, width - 1)).join('')}…` : text.padEnd(width);
}

// `[██████░░░░]  60%` from a progress summary, or blanks.
function barOf(run: RunView, width: number): string {
  const p = run.progress;
  const fraction =
    p === null
      ? null
      : p.percent !== null
        ? p.percent / 100
        : p.step !== null && p.total !== null && p.total > 0
          ? p.step / p.total
          : null;
  if (fraction === null) return ''.padEnd(width + 6);
  const full = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return `${'█'.repeat(full)}${'░'.repeat(width - full)} ${`${Math.round(fraction * 100)}%`.padStart(4)}`;
}

// The latest loss (or the job's first metric when it reports no loss).
function lossOf(run: RunView): string {
  const metrics = run.progress?.metrics ?? {};
  const name = 'loss' in metrics ? 'loss' : Object.keys(metrics).find((n) => !n.startsWith('sys/'));
  const value = name === undefined ? undefined : metrics[name];
  return name === undefined || value === undefined
    ? ''
    : `${name === 'loss' ? '' : `${neutralize(name)} `}${formatNumber(value)}`;
}

// CPU, RSS and the GPUs' utilisation from the resource samples.
function resourcesOf(run: RunView): [string, string, string] {
  const m = run.progress?.metrics ?? {};
  const cpu = m['sys/cpu'];
  const rss = m['sys/rss'];
  const gpus: string[] = [];
  for (let n = 0; n < 8; n += 1) {
    const util = m[`sys/gpu${n}/util`];
    if (util !== undefined) gpus.push(`${util.toFixed(0)}%`);
  }
  return [
    cpu === undefined ? '' : `${cpu.toFixed(0)}%`,
    rss === undefined ? '' : formatBytes(rss),
    gpus.join(' '),
  ];
}

/** The screen's lines for a terminal `width` x `height`, top to bottom (exactly `height` of them). */
export function render(state: TopState, width: number, height: number, nowMs: number): string[] {
  const lines: string[] = [];
  const data = state.data;
  const keys =
    state.mode.kind === 'follow' ? 'q/esc back' : '↑↓ move  enter follow  a abort  c checkpoint  q quit';
  const counts =
    data === null
      ? 'reading…'
      : `${data.runs.length} active  ${data.queue.length} queued  ${data.ended.length} ended shown`;
  lines.push(
    cell(`runwarden top  ${counts}  ${new Date(nowMs).toISOString().slice(11, 19)}  ${keys}`, width),
  );
  if (state.mode.kind === 'follow') {
    const runId = state.mode.runId;
    lines.push(cell(`log of ${runId} (stdout, newest last)`, width));
    const room = height - lines.length - 1;
    for (const line of state.logLines.slice(-room)) lines.push(cell(neutralize(line), width));
  } else {
    const barWidth = Math.max(6, Math.min(20, width - 100));
    lines.push(
      cell(
        `  ${'RUN'.padEnd(30)} ${'STATE'.padEnd(9)} ${'PROGRESS'.padEnd(barWidth + 5)} ${'PHASE'.padEnd(10)} ${'ETA'.padEnd(7)} ${'LOSS'.padEnd(10)} ${'CPU'.padEnd(5)} ${'RSS'.padEnd(9)} GPU`,
        width,
      ),
    );
    const runs = data?.runs ?? [];
    if (runs.length === 0) lines.push(cell('  (no active run)', width));
    runs.forEach((run, i) => {
      const [cpu, rss, gpu] = resourcesOf(run);
      const cursor = i === state.selected ? '▶ ' : '  ';
      const phase = neutralize(run.progress?.phase ?? '');
      const eta = run.progress?.etaMs == null ? '' : formatDuration(run.progress.etaMs);
      const row = `${cursor}${cell(run.id, 30)} ${cell(run.abort !== null ? 'aborting' : 'running', 9)} ${barOf(run, barWidth)} ${cell(phase, 10)} ${cell(eta, 7)} ${cell(lossOf(run), 10)} ${cell(cpu, 5)} ${cell(rss, 9)} ${gpu}`;
      lines.push(cell(row, width));
    });
    lines.push(cell('', width));
    lines.push(cell(`QUEUE (${data?.queue.length ?? 0})`, width));
    for (const entry of (data?.queue ?? []).slice(0, 5)) {
      const why = entry.waitingFor.length > 0 ? `  waiting for ${entry.waitingFor.join(', ')}` : '';
      lines.push(
        cell(`  ${entry.position}. ${neutralize(entry.name)} ${entry.runId}${neutralize(why)}`, width),
      );
    }
    lines.push(cell('', width));
    lines.push(cell('LAST ENDED', width));
    for (const run of data?.ended ?? []) {
      const exit = run.exitCode !== null ? `exit ${run.exitCode}` : run.signal !== null ? run.signal : '';
      const took = run.durationMs === null ? '' : formatDuration(run.durationMs);
      const ago = formatDuration(Math.max(0, nowMs - run.endedAt));
      lines.push(
        cell(
          `  ${cell(run.id, 30)} ${cell(run.outcome, 9)} ${cell(exit, 8)} ${cell(took, 8)} ${ago} ago`,
          width,
        ),
      );
    }
  }
  const footer =
    state.mode.kind === 'confirm-abort'
      ? `abort ${state.mode.runId}? SIGINT, then SIGKILL after its grace. y to abort, any other key to keep it`
      : data?.error != null
        ? `read error: ${data.error}`
        : state.message;
  while (lines.length < height - 1) lines.push(cell('', width));
  lines.length = Math.max(0, height - 1);
  lines.push(cell(neutralize(footer), width));
  return lines;
}
