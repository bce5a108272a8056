// How the CLI writes: colour only on a TTY without NO_COLOR, job text made safe for terminals,
// durations and times for humans, and one-line errors on stderr.
import { colourOnly, lastRedraw, withoutEscapes } from '../api/terminal-text.ts';

const ESC = String.fromCharCode(27);
const sgr = new RegExp(`(${ESC}\\[[0-9;]*m)`);

/** Whether to colour a stream: a TTY, and NO_COLOR unset (https://no-color.org). */
export function colorOn(stream: NodeJS.WriteStream): boolean {
  return stream.isTTY === true && (process.env.NO_COLOR ?? '') === '' && process.env.TERM !== 'dumb';
}

/** Colour helpers for one stream (identity functions when colour is off). */
export function painter(stream: NodeJS.WriteStream) {
  const on = colorOn(stream);
  const wrap = (code: string) => (text: string) => (on ? `${ESC}[${code}m${text}${ESC}[0m` : text);
  return {
    bold: wrap('1'),
    dim: wrap('2'),
    red: wrap('31'),
    green: wrap('32'),
    yellow: wrap('33'),
    cyan: wrap('36'),
  };
}

/**
 * Job output made safe for a terminal: control characters other than newline and tab are
 * shown in caret notation (ESC → ^[), so a job cannot move the cursor, retitle or clear it.
 */
export function neutralize(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\n' || ch === '\t') out += ch;
    else if (code < 0x20) out += `^${String.fromCharCode(code + 64)}`;
    else if (code === 0x7f) out += '^?';
    else if (code >= 0x80 && code < 0xa0) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}

/**
 * One line of a job's output as a person reads it on `stream`: the last state of a line rewritten
 * with `\r` (tqdm), its colours kept where colour is on (and reset at its end) and removed
 * elsewhere, every other escape or control character removed or neutralised.
 */
export function jobLine(line: string, stream: NodeJS.WriteStream = process.stdout): string {
  const last = lastRedraw(line);
  if (!colorOn(stream)) return neutralize(withoutEscapes(last));
  const parts = colourOnly(last).split(sgr);
  if (parts.length === 1) return neutralize(parts[0] ?? '');
  // Odd parts are the colour codes the split kept; only the text between them is neutralised.
  const shown = parts.map((part, i) => (i % 2 === 1 ? part : neutralize(part))).join('');
  return `${shown}${ESC}[0m`;
}

/** `1h02m`, `3m05s`, `4.2s`, `120ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 1 : 0)}s`;
  const s = Math.floor(ms / 1_000);
  const h = Math.floor(s / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}h${pad(m)}m` : `${m}m${pad(s % 60)}s`;
}

/** A local date and time, `2026-11-22 21:34:08`. */
export function formatTime(epochMs: number | null): string {
  if (epochMs === null) return '-';
  const d = new Date(epochMs);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Argv as a shell would show it (quoted where needed). */
export function formatArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(' ');
}

/** Print JSON (and nothing else) to stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Print one JSON value as one line (NDJSON: a stream of these is one object per line). */
export function printJsonLine(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** A one-line message on stderr, prefixed with the program name. */
export function warn(message: string): void {
  process.stderr.write(`runwarden: ${neutralize(message).replaceAll('\n', ' ')}\n`);
}

/** A table's line formatter: each cell padded to its column's widest (head included), two spaces apart. */
export function columnLine(
  head: readonly string[],
  rows: readonly (readonly string[])[],
): (cells: readonly string[]) => string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  return (cells) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
}
