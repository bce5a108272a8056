// The events a job reports on its NDJSON channel (RUNWARDEN_EVENTS), as runwarden reads them.
export {
  type EventCheck,
  messageCharsMax,
  nameCharsMax,
  normalizeEvent,
  pathCharsMax,
  tracebackCharsMax,
} from './normalize-event.ts';

/** The event kinds the protocol defines; any other kind is kept as an `UnknownEvent`. */
export const knownKinds = ['progress', 'metric', 'checkpoint', 'heartbeat', 'info', 'error'] as const;

/** One of the kinds the protocol defines. */
export type KnownKind = (typeof knownKinds)[number];

/** Where an event came from: the job's own NDJSON channel, or parsed out of its stdout/stderr. */
export type EventSource = 'explicit' | 'parsed';

/** What every event carries. */
export interface EventBase {
  /** The time the job wrote, as it wrote it (ISO 8601). For parsed events: when runwarden read it. */
  readonly t: string;
  /** `t` as epoch milliseconds. */
  readonly atMs: number;
  /** Fields the protocol does not define for this kind, kept as they came. */
  readonly extra: Readonly<Record<string, unknown>>;
}

/** How far the job is. Every field is optional; a phase names a stage (download, train, save). */
export interface ProgressEvent extends EventBase {
  readonly kind: 'progress';
  readonly phase?: string;
  /** 0..100 (clamped). */
  readonly percent?: number;
  readonly step?: number;
  readonly total?: number;
  readonly message?: string;
  /** Steps per second as measured by whoever made the event (a parsed tqdm bar); never from the job. */
  readonly stepsPerS?: number;
  /** Time left as estimated by whoever made the event (a parsed tqdm bar); never from the job. */
  readonly etaMs?: number;
  /** How long the parsed bar has run by its own clock (tqdm's elapsed); never from the job. */
  readonly elapsedMs?: number;
}

/** One value of a named metric (loss, accuracy). Non-finite values travel as "NaN"/"Infinity". */
export interface MetricEvent extends EventBase {
  readonly kind: 'metric';
  readonly name: string;
  readonly value: number;
  readonly step?: number;
}

/** The job saved a checkpoint. */
export interface CheckpointEvent extends EventBase {
  readonly kind: 'checkpoint';
  readonly path: string;
  readonly step?: number;
}

/** The job is alive; carries nothing else. */
export interface HeartbeatEvent extends EventBase {
  readonly kind: 'heartbeat';
}

/** A line of news for the user. */
export interface InfoEvent extends EventBase {
  readonly kind: 'info';
  readonly message: string;
}

/** The job reports an error (it may go on or die). */
export interface ErrorEvent extends EventBase {
  readonly kind: 'error';
  readonly message: string;
  readonly traceback?: string;
}

/** An event of a kind this version does not know: counted and kept, never rejected. */
export interface UnknownEvent extends EventBase {
  readonly kind: 'unknown';
  /** The `kind` the job wrote. */
  readonly unknownKind: string;
}

/** Any event after validation. */
export type JobEvent =
  | ProgressEvent
  | MetricEvent
  | CheckpointEvent
  | HeartbeatEvent
  | InfoEvent
  | ErrorEvent
  | UnknownEvent;
