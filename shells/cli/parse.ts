// Parsers for command-line values, each failing with a message that names the value and the fix.
import { InvalidArgumentError } from 'commander';

const units: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration like `90s`, `5m`, `1h30m`, `500ms` (a bare number means seconds), in ms. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1_000);
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== trimmed) {
    throw new InvalidArgumentError(`invalid duration '${text}': use e.g. 90s, 5m, 1h30m or 500ms`);
  }
  return Math.round(parts.reduce((ms, p) => ms + Number(p[1]) * (units[p[2] ?? 's'] ?? 1_000), 0));
}

/** A positive whole number (for --tail, --limit). */
export function parsePositiveInt(text: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1) {
    throw new InvalidArgumentError(`invalid number '${text}': use a whole number of at least 1`);
  }
  return Number(text);
}

/** `keep` or `delete` (retention per outcome). */
export function parseRetention(text: string): 'keep' | 'delete' {
  if (text !== 'keep' && text !== 'delete')
    throw new InvalidArgumentError(`invalid value '${text}': use keep or delete`);
  return text;
}

const outcomes = ['finished', 'failed', 'aborted', 'orphaned', 'suspended'] as const;
export type OutcomeFilter = (typeof outcomes)[number];

/** An outcome name for --outcome (repeatable). */
export function parseOutcome(text: string, previous: OutcomeFilter[] = []): OutcomeFilter[] {
  const found = outcomes.find((o) => o === text);
  if (found === undefined)
    throw new InvalidArgumentError(`invalid outcome '${text}': use ${outcomes.join(', ')}`);
  return [...previous, found];
}

/** A WebSocket inspector URL for --inspect. */
export function parseInspectUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidArgumentError(`invalid URL '${text}': use ws://HOST:PORT (a WebSocket inspector)`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new InvalidArgumentError(`invalid inspector URL '${text}': it must start with ws:// or wss://`);
  }
  return url.href;
}

/** A whole number of at least 0 (`--gpus 0` asks for one slot and no GPU; `--keep-last 0` keeps none). */
export function parseCount(text: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) > 1_000_000)
    throw new InvalidArgumentError(`invalid number '${text}': use a whole number from 0 to 1000000`);
  return Number(text);
}

/** issue 12: a queue priority, a whole number from -1000 to 1000 (higher starts first; default 0). */
export function parsePriority(text: string): number {
  const trimmed = text.trim();
  if (!/^[-+]?\d+$/.test(trimmed) || Math.abs(Number(trimmed)) > 1_000)
    throw new InvalidArgumentError(
      `invalid priority '${text}': use a whole number from -1000 to 1000 (higher starts first)`,
    );
  return Number(trimmed);
}

/** issue 12: which runs `list` shows. */
export function parseRunState(text: string): 'active' | 'queued' | 'ended' {
  if (text !== 'active' && text !== 'queued' && text !== 'ended')
    throw new InvalidArgumentError(`invalid state '${text}': use active, queued or ended`);
  return text;
}

/**
 * A point in time for --since/--until (issue 17): a duration ago (`2d`, `90m`, `1h30m`) or a date
 * (`2026-12-01`, `2026-12-01T08:00`), as epoch ms.
 */
export function parseTimePoint(text: string, now = Date.now()): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?(ms|s|m|h|d)/.test(trimmed)) {
    try {
      return now - parseDuration(trimmed);
    } catch {
      // Not a duration after all: try a date.
    }
  }
  const at = /^\d{4}-\d{2}-\d{2}/.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
  if (Number.isNaN(at))
    throw new InvalidArgumentError(
      `invalid time '${text}': use a duration ago (2d, 12h, 30m) or a date (2026-12-01)`,
    );
  return at;
}

/** An exit code for --exit-code (repeatable): a whole number 0..255. */
export function parseExitCode(text: string, previous: number[] = []): number[] {
  if (!/^\d{1,3}$/.test(text.trim()) || Number(text) > 255)
    throw new InvalidArgumentError(`invalid exit code '${text}': use a whole number from 0 to 255`);
  return [...previous, Number(text)];
}

/** A `NAME=VALUE` param condition for `list --param` (repeatable). */
export function parseParamFilter(
  text: string,
  previous: Record<string, string> = {},
): Record<string, string> {
  const at = text.indexOf('=');
  if (at <= 0)
    throw new InvalidArgumentError(`invalid param '${text}': use NAME=VALUE, e.g. --param lr=0.01`);
  return { ...previous, [text.slice(0, at)]: text.slice(at + 1) };
}

/** The columns `list --columns` knows besides metric names. */
export const listColumns = [
  'id',
  'name',
  'outcome',
  'started',
  'ended',
  'duration',
  'exit',
  'tags',
  'command',
  'lineage',
] as const;

/** `--columns id,outcome,duration,loss`: known columns, `param.NAME`, or else a metric's name. */
export function parseColumns(text: string): string[] {
  const columns = text
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c.length > 0);
  if (columns.length === 0)
    throw new InvalidArgumentError(`invalid columns '${text}': use e.g. id,outcome,duration,loss`);
  for (const c of columns)
    if (!/^[A-Za-z0-9_./:-]{1,64}$/.test(c))
      throw new InvalidArgumentError(
        `invalid column '${c}': use ${listColumns.join(', ')}, param.NAME or a metric name`,
      );
  return columns;
}

/** Issue 14: outcomes as a comma-separated list (`--outcome failed,aborted`, repeatable). */
export function parseOutcomeList(text: string, previous: OutcomeFilter[] = []): OutcomeFilter[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .reduce<OutcomeFilter[]>((acc, part) => parseOutcome(part, acc), previous);
}

/** Issue 14: exit codes for --retry-on-exit, comma-separated (`75,137`), 1..255. */
export function parseExitCodes(text: string, previous: number[] = []): number[] {
  const codes = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  const bad = codes.find((c) => !/^\d+$/.test(c) || Number(c) < 1 || Number(c) > 255);
  if (bad !== undefined || codes.length === 0)
    throw new InvalidArgumentError(`invalid exit code '${bad ?? text}': use numbers 1..255, e.g. 75,137`);
  return [...previous, ...codes.map(Number)];
}
