// Where everything of a workspace lives on disk. One place, so no other module builds paths.
import { join } from 'node:path';

/** The file names inside a run directory. */
export const runFiles = {
  config: 'config.json',
  stdout: 'stdout.log',
  stderr: 'stderr.log',
  events: 'events.ndjson',
  lifecycle: 'lifecycle.ndjson',
  exit: 'exit.json',
  abort: 'abort.json',
  /**
   * The run's copy of its lock record (owner, job identity), written durably before the lock
   * and before each lock update: the run stays discoverable when the lock turns unreadable.
   */
  identity: 'identity.json',
  /** The monitor reads the grace of an abort from here (a plain integer: C needs no JSON). */
  abortGrace: 'abort-grace-ms',
  /** The run card (issue 17): provenance captured at start, written when the capture ends. */
  card: 'card.json',
} as const;

/** Paths of one workspace (default `./runs`). */
export interface Layout {
  readonly root: string;
  /** The workspace lock: exists exactly while a run is active. */
  readonly lock: string;
  /** Prefix of claimed locks (`active.lock.claimed-<pid>-<start>-<rand>`) being finalised. */
  readonly claimPrefix: string;
  readonly historyDir: string;
  /** One summary line per ended run, newest last: makes `list` cheap with 10,000 runs. */
  readonly historyIndex: string;
  runDir(runId: string): string;
  runFile(runId: string, file: keyof typeof runFiles): string;
  historyRecord(runId: string): string;
  /** Where a run's journal goes when retention deletes its directory (replays survive). */
  historyJournal(runId: string): string;
}

/** The layout of the workspace at `root`. */
export function layoutOf(root: string): Layout {
  return {
    root,
    lock: join(root, 'active.lock'),
    claimPrefix: 'active.lock.claimed-',
    historyDir: join(root, 'history'),
    historyIndex: join(root, 'history.ndjson'),
    runDir: (runId) => join(root, runId),
    runFile: (runId, file) => join(root, runId, runFiles[file]),
    historyRecord: (runId) => join(root, 'history', `${runId}.json`),
    historyJournal: (runId) => join(root, 'history', `${runId}.lifecycle.ndjson`),
  };
}

/** Run ids are `<name>-<UTC timestamp>-<short random>`: letters, digits, dot, dash, underscore. */
export const runIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
