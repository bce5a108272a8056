// Reading a JSON state file and saying plainly whether it is missing, fine, or corrupt (and how).
import type { Result } from '../../machine/ports.ts';
import { readConfined } from './confined.ts';
import { success } from './fs-error.ts';

export { quarantineFile } from './quarantine.ts';

/** What `readJsonFile` found at a path. */
export type JsonFileState<T> =
  | { readonly state: 'missing' }
  | { readonly state: 'ok'; readonly value: T }
  | { readonly state: 'corrupt'; readonly detail: string };

/** Options of `readJsonFile`. */
export interface ReadJsonOptions {
  /** A larger file is reported corrupt without being read; default 16 MiB. */
  readonly bytesMax?: number;
}

const defaultBytesMax = 16 * 1024 * 1024;
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads and parses the JSON file at `path` inside the workspace `root` (through the confined
 * layer: a symlink, a path outside `root`, a FIFO or any other non-regular file is refused at
 * once with RW_PATH_ESCAPE / RW_NOT_REGULAR, never followed or waited on) and checks it with
 * `validate`. Never throws for file
 * content: an empty file, NUL bytes (a torn write), invalid UTF-8, truncated or invalid JSON, a
 * wrong shape or an oversized file are `{ state: 'corrupt', detail }`; ENOENT is `missing`. Other
 * operating errors (EACCES, EISDIR, EIO) are `RW_READ_FAILED`.
 */
export function readJsonFile<T>(
  root: string,
  path: string,
  validate: (value: unknown) => value is T,
  opts: ReadJsonOptions = {},
): Result<JsonFileState<T>> {
  const read = readBounded(root, path, opts.bytesMax ?? defaultBytesMax);
  if (!read.ok) return read;
  if (read.value === 'missing') return success({ state: 'missing' });
  if (typeof read.value === 'string') return success({ state: 'corrupt', detail: read.value });
  return success(classify(read.value, validate));
}

/** The verdict on the bytes of a JSON file. */
export function classify<T>(bytes: Uint8Array, validate: (value: unknown) => value is T): JsonFileState<T> {
  if (bytes.length === 0) return { state: 'corrupt', detail: 'empty file' };
  if (bytes.includes(0)) return { state: 'corrupt', detail: 'NUL bytes (torn write)' };
  let text: string;
  try {
    text = utf8Strict.decode(bytes);
  } catch {
    return { state: 'corrupt', detail: 'not valid UTF-8' };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { state: 'corrupt', detail: `not valid JSON: ${why}` };
  }
  if (!validate(value)) return { state: 'corrupt', detail: 'unexpected shape' };
  return { state: 'ok', value };
}

/** The file's bytes, `'missing'`, or a corrupt-detail string when it is larger than `bytesMax`. */
function readBounded(root: string, path: string, bytesMax: number): Result<Uint8Array | 'missing' | string> {
  const read = readConfined(root, path, bytesMax);
  if (!read.ok) return read;
  const { value } = read;
  if (value === 'missing' || value instanceof Uint8Array) return success(value);
  return success(`file is ${value.tooLarge} bytes, more than the ${bytesMax} allowed`);
}
