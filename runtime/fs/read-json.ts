// Reading a JSON state file and saying plainly whether it is missing, fine, or corrupt (and how).
import { fstatSync, openSync, readSync } from 'node:fs';
import type { Result } from '../../machine/ports.ts';
import { closeQuietly } from './cleanup.ts';
import { errnoOf, failure, success } from './fs-error.ts';

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
 * Reads and parses the JSON file at `path` and checks it with `validate`. Never throws for file
 * content: an empty file, NUL bytes (a torn write), invalid UTF-8, truncated or invalid JSON, a
 * wrong shape or an oversized file are `{ state: 'corrupt', detail }`; ENOENT is `missing`. Other
 * operating errors (EACCES, EISDIR, EIO) are `RW_READ_FAILED`.
 */
export function readJsonFile<T>(
  path: string,
  validate: (value: unknown) => value is T,
  opts: ReadJsonOptions = {},
): Result<JsonFileState<T>> {
  const read = readBounded(path, opts.bytesMax ?? defaultBytesMax);
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
function readBounded(path: string, bytesMax: number): Result<Uint8Array | 'missing' | string> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    return openFailure(path, errnoOf(error));
  }
  try {
    const sizeBytes = fstatSync(fd).size;
    if (sizeBytes > bytesMax) return success(`file is ${sizeBytes} bytes, more than the ${bytesMax} allowed`);
    // One byte more than the size seen, to notice a file that grew while being read.
    const buffer = Buffer.alloc(sizeBytes);
    let filledBytes = 0;
    // Each pass reads at least one byte or ends the loop, so it runs at most sizeBytes times.
    while (filledBytes < buffer.length) {
      const readBytes = readSync(fd, buffer, filledBytes, buffer.length - filledBytes, null);
      if (readBytes === 0) break;
      filledBytes += readBytes;
    }
    return success(buffer.subarray(0, filledBytes));
  } catch (error) {
    return failure(
      'RW_READ_FAILED',
      `reading ${path}: ${errnoOf(error)}; check the file and its permissions`,
    );
  } finally {
    closeQuietly(fd);
  }
}

/** `missing` for ENOENT, a typed failure for anything else. */
function openFailure(path: string, errno: string): Result<'missing'> {
  if (errno === 'ENOENT') return success('missing');
  return failure('RW_READ_FAILED', `reading ${path}: ${errno}; check the file and its permissions`);
}
