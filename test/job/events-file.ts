// Reading an events file back in the job-helper tests: every line a helper wrote, parsed.
import { existsSync, readFileSync } from 'node:fs';

/** The events written to `path` so far, one parsed object per line ([] when none). */
export function eventsIn(path: string): Record<string, unknown>[] {
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
  return text === ''
    ? []
    : text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
}
