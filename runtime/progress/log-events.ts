// Turning one segment of a job's log into the events it implies: a progress bar or metric values.
import {
  type CheckpointEvent,
  type JobEvent,
  type MetricEvent,
  type ProgressEvent,
  pathCharsMax,
} from './events.ts';
import { parseMetricLine } from './metric-line-parser.ts';
import { parseTqdm } from './tqdm-parser.ts';

/**
 * A checkpoint a log line announces: Hugging Face Trainer's `Saving model checkpoint to DIR`,
 * Lightning's and common scripts' `Saving checkpoint to PATH` / `checkpoint saved to PATH`, and
 * (issue 14) a plain `saved checkpoint PATH` / `saved checkpoint to PATH`.
 */
const checkpointLine =
  /^(?:.*\b)?(?:saving (?:model )?checkpoint to|checkpoint saved (?:to|at)|saved (?:a |the )?checkpoint(?: to| at)?:?)\s+['"]?([^'"\s]+)['"]?\s*$/i;

/**
 * Issue 14: Lightning's ModelCheckpoint callback (verbose): `Epoch 0, global step 100: 'val_loss'
 * reached 0.5 (best 0.5), saving model to '/ckpt/epoch=0-step=100.ckpt' as top 1`.
 */
const lightningLine = /\bglobal step (\d+):.*\bsaving model to\s+['"]?([^'"\s]+)['"]?/i;

const noExtra: Readonly<Record<string, unknown>> = Object.freeze(Object.create(null));

/** When the events were read (parsed events carry runwarden's time, not the job's). */
export interface ReadTime {
  readonly t: string;
  readonly atMs: number;
}

/**
 * The events in one log segment: one progress event for a tqdm bar, one metric event per value
 * of a metric line, or none. With `barsOnly`, only a bar is looked for (for the unfinished last
 * segment, which may still be growing when it is a metric line).
 */
export function eventsOfSegment(text: string, at: ReadTime, barsOnly: boolean): JobEvent[] {
  const bar = parseTqdm(text);
  if (bar !== null) {
    const event: ProgressEvent = {
      kind: 'progress',
      t: at.t,
      atMs: at.atMs,
      extra: noExtra,
      percent: bar.percent ?? undefined,
      step: bar.step,
      total: bar.total ?? undefined,
      message: bar.description ?? undefined,
      stepsPerS: bar.stepsPerS ?? undefined,
      etaMs: bar.etaMs ?? undefined,
      elapsedMs: bar.elapsedMs,
    };
    return [event];
  }
  if (barsOnly) return [];
  const lightning = lightningLine.exec(text);
  const checkpoint = lightning === null ? checkpointLine.exec(text.trim()) : [text, lightning[2]];
  if (checkpoint !== null) {
    const path = checkpoint[1]?.trim() ?? '';
    const step = lightning === null ? /(?:checkpoint|step)[-_=](\d+)/.exec(path) : [path, lightning[1]];
    if (path !== '' && path.length <= pathCharsMax) {
      const event: CheckpointEvent = {
        kind: 'checkpoint',
        t: at.t,
        atMs: at.atMs,
        extra: noExtra,
        path,
        ...(step === null ? {} : { step: Number(step[1]) }),
      };
      return [event];
    }
  }
  const metrics = parseMetricLine(text);
  if (metrics === null) return [];
  return metrics.map(
    (metric): MetricEvent => ({
      kind: 'metric',
      t: at.t,
      atMs: at.atMs,
      extra: noExtra,
      name: metric.name,
      value: metric.value,
      step: metric.step ?? undefined,
    }),
  );
}
