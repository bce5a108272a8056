// Reading a run's log files for the shells, through the workspace-confined layer: a log replaced
// by a symlink (or a run directory that links out of the workspace) is refused, never printed.
import { readSync } from 'node:fs';
import { closeQuietly } from '../../runtime/fs/cleanup.ts';
import { openConfined } from '../../runtime/fs/confined.ts';
import {
  hiddenRangeOf,
  type LogCapLayout,
  offsetAfterCompaction,
  readLogCap,
} from '../../runtime/local/log-cap-layout.ts';
import { RunwardenError } from './errors.ts';

const chunkBytes = 64 * 1024;

/**
 * Hands the bytes of the log `path` (inside the workspace `root`) from `fromBytes` up to its size
 * at the time of the call (at most `bytesMax` of them) to `write`, in chunks of 64 KiB; returns
 * the offset it stopped at. A
 * missing file gives nothing (returns `fromBytes`). Throws a RunwardenError (RW_PATH_ESCAPE,
 * RW_NOT_REGULAR, RW_READ_FAILED) naming the file when the confined layer refuses it.
 */
export function copyRunLog(
  root: string,
  path: string,
  fromBytes: number,
  write: (bytes: Buffer) => void,
  bytesMax = Number.POSITIVE_INFINITY,
): number {
  const opened = openConfined(root, path);
  if (!opened.ok) throw RunwardenError.of(opened.error);
  if (opened.value === 'missing') return fromBytes;
  const { fd, sizeBytes } = opened.value;
  const endBytes = Math.min(sizeBytes, fromBytes + bytesMax);
  // A log capped by --log-max (issue 17): the bytes between its marker and newest part are gone.
  const hidden = hiddenRangeOf(readLogCap(root, path));
  try {
    const buffer = Buffer.alloc(chunkBytes);
    let at = fromBytes;
    // Each pass copies at least one byte, skips the hidden range once, or ends.
    while (at < endBytes) {
      if (hidden !== null && at >= hidden.start && at < hidden.end) {
        at = Math.min(hidden.end, endBytes);
        continue;
      }
      const stop = hidden !== null && at < hidden.start ? Math.min(endBytes, hidden.start) : endBytes;
      const read = readSync(fd, buffer, 0, Math.min(chunkBytes, stop - at), at);
      if (read <= 0) break;
      write(Buffer.from(buffer.subarray(0, read)));
      at += read;
    }
    return at;
  } finally {
    closeQuietly(fd);
  }
}

/** The size of the log `path` (inside the workspace `root`), 0 when missing; throws like `copyRunLog`. */
export function runLogSizeBytes(root: string, path: string): number {
  const opened = openConfined(root, path);
  if (!opened.ok) throw RunwardenError.of(opened.error);
  if (opened.value === 'missing') return 0;
  closeQuietly(opened.value.fd);
  return opened.value.sizeBytes;
}

/**
 * Where a follower of the log `path` reads next (issue 17: a log capped by --log-max shrinks
 * when its monitor drops bytes; the cursor then goes on at the same byte of the job's output, or
 * the oldest one kept). An uncapped log is followed by plain offsets.
 */
export class LogFollowCursor {
  readonly root: string;
  readonly path: string;
  #offset: number;
  #cap: LogCapLayout | null;
  #lastByte = 0x0a;

  /** A cursor at `offsetBytes` (the size printed so far) of the log `path` inside `root`. */
  constructor(root: string, path: string, offsetBytes: number) {
    this.root = root;
    this.path = path;
    this.#offset = offsetBytes;
    this.#cap = readLogCap(root, path);
  }

  /** Copies what is new to `write` (throws like `copyRunLog`); true when anything was. */
  copyNew(write: (bytes: Buffer) => void): boolean {
    if (this.#cap !== null) {
      const now = readLogCap(this.root, this.path);
      if (now !== null && now.generation % 2 === 1) return true; // bytes are moving: look again soon
      if (now !== null && now.generation !== this.#cap.generation) {
        const moved = offsetAfterCompaction(this.#offset, this.#cap, now);
        if (moved.droppedUnread > 0) {
          const cut = this.#lastByte !== 0x0a ? '\n' : ''; // the line shown last lost its end
          const notice = `[runwarden: ${moved.droppedUnread} bytes dropped by --log-max before they were shown]`;
          write(Buffer.from(`${cut}${notice}\n`));
          this.#lastByte = 0x0a;
        }
        this.#offset = moved.offset;
        this.#cap = now;
      }
    }
    const at = copyRunLog(this.root, this.path, this.#offset, (bytes) => {
      if (bytes.length > 0) this.#lastByte = bytes[bytes.length - 1] ?? 0x0a;
      write(bytes);
    });
    const grew = at > this.#offset;
    this.#offset = at;
    return grew;
  }
}

/** The last `linesMax` lines of a file, reading at most its last 64 KiB; [] when unreadable. */
export { tailLines } from '../../runtime/local/final-view.ts';
