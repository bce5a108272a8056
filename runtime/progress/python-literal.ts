// A small safe reader of flat Python-literal or JSON dicts (`{'loss': 0.43, "done": None}`); no eval.

/** A value of a flat dict: what Python and JSON literals of scalars can be. */
export type LiteralValue = number | string | boolean | null;

const numberPattern = /[-+]?(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][-+]?\d+)?/y;
const identPattern = /[-+]?[A-Za-z_][\w.]*/y;
const callArgsPattern = /\s*(?:,[^()]*)?\)/y;
const keywords: Readonly<Record<string, LiteralValue>> = {
  None: null,
  null: null,
  True: true,
  true: true,
  False: false,
  false: false,
  nan: Number.NaN,
  NaN: Number.NaN,
  inf: Number.POSITIVE_INFINITY,
  Infinity: Number.POSITIVE_INFINITY,
  '-inf': Number.NEGATIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
};
const escapes: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '0': '\0' };

/**
 * Parses `text` when it is exactly one flat dict with string keys and scalar values: numbers
 * (`1e-05`, `1_000`, `nan`, `inf`), strings in either quote, None/True/False (or null/true/false),
 * and single-number calls such as `np.float64(0.43)` or `tensor(0.43, device='cuda:0')`, which
 * read as the number. Nested containers, more than `keysMax` keys or anything else gives null.
 * Runs in time linear in the text; never throws.
 */
export function parseFlatDict(text: string, keysMax = 256): Map<string, LiteralValue> | null {
  const scan = { text, at: 0 };
  const out = new Map<string, LiteralValue>();
  if (!expect(scan, '{')) return null;
  // Each pass consumes one key-value pair or ends, so it runs at most keysMax + 1 times.
  for (let pairs = 0; pairs <= keysMax; pairs += 1) {
    skipSpace(scan);
    if (expect(scan, '}')) return rest(scan) ? out : null;
    const key = readString(scan);
    if (key === null || !expect(scan, ':')) return null;
    skipSpace(scan);
    const value = readValue(scan);
    if (value === undefined) return null;
    out.set(key, value);
    if (out.size > keysMax) return null;
    if (expect(scan, ',')) continue;
    return expect(scan, '}') && rest(scan) ? out : null;
  }
  return null;
}

interface Scan {
  readonly text: string;
  at: number;
}

/** Skips whitespace, then consumes `char` if it comes next. */
function expect(scan: Scan, char: string): boolean {
  skipSpace(scan);
  if (scan.text[scan.at] !== char) return false;
  scan.at += 1;
  return true;
}

/** True when only whitespace is left. */
function rest(scan: Scan): boolean {
  skipSpace(scan);
  return scan.at === scan.text.length;
}

/** Moves past spaces, tabs and newlines. */
function skipSpace(scan: Scan): void {
  while (scan.at < scan.text.length && /\s/.test(scan.text[scan.at] ?? '')) scan.at += 1;
}

/** A scalar value, or undefined when none starts here. */
function readValue(scan: Scan): LiteralValue | undefined {
  const first = scan.text[scan.at];
  if (first === "'" || first === '"') return readString(scan) ?? undefined;
  const number = sticky(scan, numberPattern);
  if (number !== null) return Number(number.replaceAll('_', ''));
  const ident = sticky(scan, identPattern);
  if (ident === null) return undefined;
  if (Object.hasOwn(keywords, ident)) return keywords[ident];
  if (scan.text[scan.at] !== '(') return undefined;
  scan.at += 1;
  skipSpace(scan);
  const inner = readValue(scan);
  if (typeof inner !== 'number' || sticky(scan, callArgsPattern) === null) return undefined;
  return inner;
}

/** The match of a sticky pattern at the cursor (advancing past it), or null. */
function sticky(scan: Scan, pattern: RegExp): string | null {
  pattern.lastIndex = scan.at;
  const match = pattern.exec(scan.text);
  if (match === null) return null;
  scan.at = pattern.lastIndex;
  return match[0];
}

/** A quoted string (Python or JSON escapes), or null when none is here or it is unterminated. */
function readString(scan: Scan): string | null {
  skipSpace(scan);
  const quote = scan.text[scan.at];
  if (quote !== "'" && quote !== '"') return null;
  let out = '';
  let at = scan.at + 1;
  // Each pass consumes at least one character, so it ends within text.length passes.
  while (at < scan.text.length) {
    const char = scan.text[at] ?? '';
    if (char === quote) {
      scan.at = at + 1;
      return out;
    }
    if (char !== '\\') {
      out += char;
      at += 1;
      continue;
    }
    const next = scan.text[at + 1] ?? '';
    const hexDigits = next === 'u' ? 4 : next === 'x' ? 2 : 0;
    const hex = scan.text.slice(at + 2, at + 2 + hexDigits);
    if (hexDigits > 0 && /^[0-9a-fA-F]+$/.test(hex) && hex.length === hexDigits) {
      out += String.fromCharCode(Number.parseInt(hex, 16));
      at += 2 + hexDigits;
    } else {
      out += escapes[next] ?? next;
      at += 2;
    }
  }
  return null;
}
