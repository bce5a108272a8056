// Reading a tqdm-style progress bar (` 42%|████▏     | 420/1000 [00:10<00:14, 41.2it/s]`) from log text.

/** What one bar says. */
export interface TqdmBar {
  /** The description before the bar (`Epoch 3`), without its ': '; null when there is none. */
  readonly description: string | null;
  /** From n/total when both are known, else the printed percentage; null for unknown totals. */
  readonly percent: number | null;
  readonly step: number;
  readonly total: number | null;
  /** Units per second (`2.50s/it` is 0.4); null while tqdm prints `?it/s`. */
  readonly stepsPerS: number | null;
  /** tqdm's own estimate of the time left; null when it prints `?` or has no total. */
  readonly etaMs: number | null;
  /** How long the bar has run by its own clock (`[00:10<…`): the times its rate is measured on. */
  readonly elapsedMs: number;
  /** The unit tqdm counts in (`it`, `B`, `ex`). */
  readonly unit: string;
}

/** Longer segments are not bars (bars fit a terminal line); keeps the regular expressions cheap. */
export const tqdmCharsMax = 1024;

const scaled = String.raw`(\d+(?:\.\d+)?)([kMGTPEZY]?)`;
const clock = String.raw`\d+:\d{2}(?::\d{2})?`;
// {desc}: {percentage}%|{bar}| {n}/{total} [{elapsed}<{remaining}, {rate}{postfix}]
const knownTotal = new RegExp(
  String.raw`^(.*?)(\d{1,3})%\|[^|]*\|\s*${scaled}/${scaled}\s*\[(${clock})<(${clock}|\?),\s*([^,\]]*)(?:,[^\]]*)?\]$`,
);
// {desc}: {n}{unit} [{elapsed}, {rate}{postfix}]
const unknownTotal = new RegExp(
  String.raw`^(.*?)${scaled}([A-Za-z][\w]*)?\s\[(${clock}),\s*([^,\]]*)(?:,[^\]]*)?\]$`,
);
const perSecond = /^(\?|\d+(?:\.\d+)?)([kMGTPEZY]?)(.*)\/s$/;
const secondsPer = /^(\d+(?:\.\d+)?)s\/(.+)$/;
const esc = String.fromCharCode(0x1b);
// ANSI cursor and colour codes (`ESC[A`, `ESC[2K`) that multi-bar tqdm writes around bars.
const ansi = new RegExp(`${esc}\\[[0-9;?]*[A-Za-z]`, 'g');
const siFactors: Readonly<Record<string, number>> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Z: 1e21,
  Y: 1e24,
};

/**
 * Parses one update of a bar: a segment of log text between '\r' or '\n' separators. Understands
 * tqdm's default format with known and unknown totals, `it/s` and `s/it` rates, SI-scaled counts
 * (`4.20k/10.0k`), a description prefix, a postfix (`, loss=0.4`) and ANSI cursor codes around it.
 * Returns null for anything else (most log lines): it never throws.
 */
export function parseTqdm(segment: string): TqdmBar | null {
  const text = segment.includes(esc) ? segment.replace(ansi, '').trim() : segment.trim();
  if (!text.endsWith(']') || text.length > tqdmCharsMax) return null;
  const known = knownTotal.exec(text);
  if (known !== null) return knownBar(known);
  const unknown = unknownTotal.exec(text);
  if (unknown !== null) return unknownBar(unknown);
  return null;
}

/** A bar with a total: `desc: 42%|███| 420/1000 [00:10<00:14, 41.2it/s]`. */
function knownBar(m: RegExpExecArray): TqdmBar | null {
  const [
    ,
    desc = '',
    printed = '',
    n = '',
    nScale = '',
    total = '',
    totalScale = '',
    elapsed = '',
    left = '',
    rateText = '',
  ] = m;
  const step = Number(n) * (siFactors[nScale] ?? 1);
  const totalCount = Number(total) * (siFactors[totalScale] ?? 1);
  const rate = parseRate(rateText);
  const percent = totalCount > 0 ? Math.min(100, (100 * step) / totalCount) : Number(printed);
  return {
    description: description(desc),
    percent,
    step,
    total: totalCount,
    stepsPerS: rate.perS,
    etaMs: left === '?' ? null : clockMs(left),
    elapsedMs: clockMs(elapsed),
    unit: rate.unit,
  };
}

/** A bar without a total: `desc: 420it [00:10, 41.2it/s]`. */
function unknownBar(m: RegExpExecArray): TqdmBar | null {
  const [, desc = '', n = '', nScale = '', unitText = '', elapsed = '', rateText = ''] = m;
  const rate = parseRate(rateText);
  if (rate.unit === '' && unitText === '') return null;
  return {
    description: description(desc),
    percent: null,
    step: Number(n) * (siFactors[nScale] ?? 1),
    total: null,
    stepsPerS: rate.perS,
    etaMs: null,
    elapsedMs: clockMs(elapsed),
    unit: unitText !== '' ? unitText : rate.unit,
  };
}

/** `41.2it/s`, `4.12kit/s`, `1.23MB/s` or `2.50s/it` as units per second and the unit. */
function parseRate(text: string): { perS: number | null; unit: string } {
  const trimmed = text.trim();
  const per = perSecond.exec(trimmed);
  if (per !== null) {
    const [, amount = '?', scale = '', unit = ''] = per;
    return { perS: amount === '?' ? null : Number(amount) * (siFactors[scale] ?? 1), unit };
  }
  const slow = secondsPer.exec(trimmed);
  if (slow !== null) {
    const seconds = Number(slow[1]);
    return { perS: seconds > 0 ? 1 / seconds : null, unit: slow[2] ?? '' };
  }
  return { perS: null, unit: '' };
}

/** `MM:SS` or `H:MM:SS` as milliseconds. */
function clockMs(text: string): number {
  let seconds = 0;
  for (const part of text.split(':')) seconds = seconds * 60 + Number(part);
  return seconds * 1000;
}

/** The description before a bar, without the ': ' tqdm adds; null when empty. */
function description(prefix: string): string | null {
  const trimmed = prefix.trim().replace(/:$/, '').trim();
  return trimmed === '' ? null : trimmed;
}
