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
  /** The directory holding `lock` and its claims: the root for slot 0, `slots/<name>` beyond (issue 12). */
  readonly lockDir: string;
  /** The slot this layout's lock belongs to (issue 12); slot 0 is the workspace's own `active.lock`. */
  readonly slot: SlotRef;
  /** `<ws>/workspace.json`: the slots (absent: one slot, today's behaviour) (issue 12). */
  readonly workspaceConfig: string;
  /** `<ws>/queue`: one `<runId>.json` per waiting run, `hold.json`, `boot` (issue 12). */
  readonly queueDir: string;
}

/** Which slot a layout's lock is: its name and 0-based index. */
export interface SlotRef {
  readonly name: string;
  readonly index: number;
}

/** The one slot of a workspace without slot configuration (today's layout). */
export const defaultSlot: SlotRef = { name: 'slot0', index: 0 };

/**
 * The layout of the workspace at `root`, its lock being `slot`'s (default slot 0, the root's own
 * `active.lock`; slot i>0 locks in `slots/<name>/`). Run directories and history stay at the root.
 */
export function layoutOf(root: string, slot: SlotRef = defaultSlot): Layout {
  const lockDir = slot.index === 0 ? root : join(root, 'slots', slot.name);
  return {
    root,
    lockDir,
    slot: { name: slot.name, index: slot.index },
    workspaceConfig: join(root, 'workspace.json'),
    queueDir: join(root, 'queue'),
    lock: join(lockDir, 'active.lock'),
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

/** Entries of a workspace root that are never run directories (issue 12 adds `slots`, `queue`). */
export const reservedDirNames: ReadonlySet<string> = new Set(['history', 'slots', 'queue']);
