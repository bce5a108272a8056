// Reading metrics from log lines a training loop prints: Trainer-style dicts and Keras summaries.
import { nameCharsMax } from './normalize-event.ts';
import { parseFlatDict } from './python-literal.ts';

/** One metric value read from a line. */
export interface ParsedMetric {
  readonly name: string;
  readonly value: number;
  readonly step: number | null;
}

/** Longer lines are not metric lines; bounds the work per line. */
export const metricLineCharsMax = 8192;
/** Most metrics taken from one line. */
export const metricsPerLineMax = 64;

const lossLike = /loss/i;
const stepKeys = ['step', 'global_step', 'epoch'] as const;
const kerasPair =
  /(?:^|\s)-\s+([A-Za-z_][\w./-]*):\s+([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf)(?=\s|$)/g;

/**
 * The metrics in one log line, or null when it is not a metric line. A metric line is either a
 * flat dict (Python repr or JSON, as the Hugging Face Trainer prints `{'loss': 0.43, 'epoch': 0.12}`)
 * or a Keras progress summary (`... - loss: 0.4364 - accuracy: 0.8766`), and it must have a key
 * containing "loss". Every numeric value becomes a metric, except the one used as the step: the
 * first of `step`, `global_step`, `epoch` present. Keras lines have no step.
 */
export function parseMetricLine(segment: string): ParsedMetric[] | null {
  if (segment.length > metricLineCharsMax) return null;
  const text = segment.trim();
  if (text.startsWith('{') && text.endsWith('}')) return dictMetrics(text);
  if (text.includes('loss: ')) return kerasMetrics(text);
  return null;
}

/** Metrics of a Trainer-style dict line. */
function dictMetrics(text: string): ParsedMetric[] | null {
  const dict = parseFlatDict(text);
  if (dict === null) return null;
  const numeric = [...dict].filter(
    (entry): entry is [string, number] => typeof entry[1] === 'number' && isName(entry[0]),
  );
  if (!numeric.some(([name]) => lossLike.test(name))) return null;
  const stepEntry = stepKeys
    .map((key) => numeric.find(([name, value]) => name === key && value >= 0))
    .find((entry) => entry !== undefined);
  const step = stepEntry === undefined ? null : stepEntry[1];
  return numeric
    .filter((entry) => entry !== stepEntry)
    .slice(0, metricsPerLineMax)
    .map(([name, value]) => ({ name, value, step }));
}

/** Metrics of a Keras summary line (`- loss: 0.43 - acc: 0.9`). */
function kerasMetrics(text: string): ParsedMetric[] | null {
  const metrics: ParsedMetric[] = [];
  for (const match of text.matchAll(kerasPair)) {
    const [, name = '', raw = ''] = match;
    if (!isName(name)) continue;
    const value = raw === 'nan' ? Number.NaN : raw === 'inf' ? Number.POSITIVE_INFINITY : Number(raw);
    metrics.push({ name, value, step: null });
    if (metrics.length >= metricsPerLineMax) break;
  }
  return metrics.some((metric) => lossLike.test(metric.name)) ? metrics : null;
}

/** True for a key usable as a metric name. */
function isName(name: string): boolean {
  return name !== '' && name.length <= nameCharsMax;
}
