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

/** Issue 14: outcomes as a comma-separated list (`--outcome failed,aborted`, repeatable). */
export function parseOutcomeList(text: string, previous: OutcomeFilter[] = []): OutcomeFilter[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .reduce<OutcomeFilter[]>((acc, part) => parseOutcome(part, acc), previous);
}

const sizeUnits: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
};

/** Issue 14: a size like `500M`, `20G`, `1.5T` or a number of bytes (binary units), in bytes. */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = sizeUnits[(m?.[2] ?? 'x').toLowerCase()];
  const bytes = m === null || unit === undefined ? Number.NaN : Math.floor(Number(m[1]) * unit);
  if (!Number.isSafeInteger(bytes) || bytes < 1)
    throw new InvalidArgumentError(`invalid size '${text}': use e.g. 500M, 20G or 1T`);
  return bytes;
}

/** Issue 14: a whole number >= 0 (--keep-last 0 keeps none). */
export function parseCount(text: string): number {
  if (!/^\d+$/.test(text.trim()))
    throw new InvalidArgumentError(`invalid number '${text}': use a whole number (0 or more)`);
  return Number(text);
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
