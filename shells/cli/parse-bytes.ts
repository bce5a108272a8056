// Parsing a size in bytes (--log-max, prune --budget), failing with a message that names the value and the fix.
import { InvalidArgumentError } from 'commander';

const multipliers: Readonly<Record<string, number>> = {
  '': 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
};

/** A size like `1G`, `500M`, `64K`, `1048576` (binary units, an optional `B`/`iB`), in bytes (at least 1). */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(text.trim());
  const multiplier = match === null ? undefined : multipliers[(match[2] ?? '').toLowerCase()];
  if (match === null || multiplier === undefined) {
    throw new InvalidArgumentError(`invalid size '${text}': use e.g. 1G, 500M, 64K or a number of bytes`);
  }
  const bytes = Math.floor(Number(match[1]) * multiplier);
  if (!Number.isSafeInteger(bytes) || bytes < 1)
    throw new InvalidArgumentError(`invalid size '${text}': use e.g. 1G, 500M, 64K or a number of bytes`);
  return bytes;
}

/** A log cap for --log-max (issue 17): a size of at least 64K. */
export function parseByteSize(text: string): number {
  const bytes = parseSize(text);
  if (bytes < 64 * 1024)
    throw new InvalidArgumentError(`invalid size '${text}': a log cap must be at least 64K`);
  return bytes;
}
