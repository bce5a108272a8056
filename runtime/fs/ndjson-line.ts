// Judging one complete NDJSON line: a JSON object, a blank line, or malformed (and why).
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** What one line of an NDJSON file holds. */
export type NdjsonLine =
  | { readonly kind: 'record'; readonly record: Record<string, unknown> }
  | { readonly kind: 'blank' }
  | { readonly kind: 'malformed'; readonly reason: string };

/**
 * Parses the bytes of one line (without its '\n'; a trailing '\r' is dropped). Invalid UTF-8 is
 * malformed, not decoded with replacement characters: a record with silently altered strings is
 * worse than a reported skip. JSON that is not an object (a number, an array, null) is malformed.
 */
export function parseNdjsonLine(bytes: Uint8Array): NdjsonLine {
  const end = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
  let text: string;
  try {
    text = utf8Strict.decode(bytes.subarray(0, end));
  } catch {
    return { kind: 'malformed', reason: 'not valid UTF-8' };
  }
  return parseNdjsonText(text);
}

const blank: NdjsonLine = Object.freeze({ kind: 'blank' });

/**
 * `parseNdjsonLine` for a line already decoded (from bytes known to be UTF-8), without its '\n'
 * and trailing '\r'.
 */
export function parseNdjsonText(text: string): NdjsonLine {
  // Only a line that starts with whitespace can be blank (trim allocates: skip it otherwise).
  const first = text.charCodeAt(0);
  if ((text.length === 0 || first <= 0x20 || first === 0xa0 || first > 0x7f) && text.trim() === '')
    return blank;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { kind: 'malformed', reason: `not valid JSON: ${why}` };
  }
  if (!isPlainObject(value)) return { kind: 'malformed', reason: 'not a JSON object' };
  return { kind: 'record', record: value };
}

/** True for a parsed JSON object (not an array, not null). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
