// Bounded logs (issue 17): asking the monitor for a cap, and reading the layout it keeps a capped log in.
//
// The monitor (runtime/local/monitor/log-cap.h) keeps a capped log as head + one marker line +
// the newest bytes, and says where in `<log>.cap`: "rw-log-cap 1 GEN HEAD BODY DROPPED MAX".
import { join } from 'node:path';
import type { Result } from '../../machine/ports.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { readConfined } from '../fs/confined.ts';

/** The file in a run directory that turns the cap on (a plain integer: C needs no JSON). */
export const logMaxFile = 'log-max-bytes';

/** Length of the marker line the monitor writes at `headBytes` (log-cap.h LOG_CAP_MARKER_BYTES). */
export const logCapMarkerBytes = 128;

/**
 * The bytes of a capped log a reader skips: between the marker's end and the newest part (holes
 * punched out of the file, zeros); null when there are none (before the first cut, or a log capped
 * through the pipe, which keeps the newest part right after the marker).
 */
export function hiddenRangeOf(
  layout: LogCapLayout | null,
): { readonly start: number; readonly end: number } | null {
  if (layout === null || layout.bodyOffset === 0) return null;
  const start = layout.headBytes + logCapMarkerBytes;
  return layout.bodyOffset > start ? { start, end: layout.bodyOffset } : null;
}

/** Smallest cap the monitor accepts (a smaller one leaves the log uncapped): 64 KiB. */
export const logMaxBytesMin = 64 * 1024;

/** Where a capped log's bytes are, from its `.cap` sidecar. */
export interface LogCapLayout {
  /** Odd while the monitor is moving bytes (a compaction is under way). */
  readonly generation: number;
  /** End of the kept head, where the marker line starts; 0 before the first cut. */
  readonly headBytes: number;
  /** Where the newest part starts (after the marker); 0 before the first cut. */
  readonly bodyOffset: number;
  /** Bytes of the job's output no longer in the file. */
  readonly droppedBytes: number;
  readonly maxBytes: number;
}

/**
 * Ask the monitor of the run in `runDir` to cap each log at `maxBytes` (before it is launched),
 * and write each log's sidecar as the monitor will (nothing dropped yet), so a reader never takes
 * a capped log for an uncapped one.
 */
export function writeLogMax(
  root: string,
  runDir: string,
  maxBytes: number,
  logPaths: readonly string[],
): Result<null> {
  for (const log of logPaths) {
    const empty: LogCapLayout = { generation: 0, headBytes: 0, bodyOffset: 0, droppedBytes: 0, maxBytes };
    const written = writeFileAtomic(root, `${log}.cap`, sidecarOf(empty), { mode: 0o600 });
    if (!written.ok) return written;
  }
  return writeFileAtomic(root, join(runDir, logMaxFile), `${Math.floor(maxBytes)}\n`, { mode: 0o600 });
}

// The sidecar's one line, fixed width as the monitor writes it.
function sidecarOf(layout: LogCapLayout): string {
  const { generation, headBytes, bodyOffset, droppedBytes, maxBytes } = layout;
  const fields = [generation, headBytes, bodyOffset, droppedBytes, maxBytes].map((n) =>
    String(n).padStart(20, '0'),
  );
  return `rw-log-cap 1 ${fields.join(' ')}\n`;
}

const sidecarPattern = /^rw-log-cap 1 (\d+) (\d+) (\d+) (\d+) (\d+)\n/;

/** The layout of the log at `logPath` (inside `root`), or null when it is not capped (or unreadable). */
export function readLogCap(root: string, logPath: string): LogCapLayout | null {
  const read = readConfined(root, `${logPath}.cap`, 4096);
  if (!read.ok || read.value === 'missing' || !(read.value instanceof Uint8Array)) return null;
  const match = sidecarPattern.exec(Buffer.from(read.value).toString('latin1'));
  if (match === null) return null;
  const [generation, headBytes, bodyOffset, droppedBytes, maxBytes] = match.slice(1).map(Number);
  if (
    generation === undefined ||
    headBytes === undefined ||
    bodyOffset === undefined ||
    droppedBytes === undefined ||
    maxBytes === undefined
  ) {
    return null;
  }
  return { generation, headBytes, bodyOffset, droppedBytes, maxBytes };
}

/**
 * The index in the job's whole output of the byte at `offset` in the file under `layout` (for a
 * byte of the marker line: where the dropped bytes were).
 */
export function outputIndexOf(offset: number, layout: LogCapLayout | null): number {
  if (layout === null || layout.bodyOffset === 0 || offset < layout.headBytes) return offset;
  if (offset < layout.bodyOffset) return layout.headBytes;
  return offset - layout.bodyOffset + layout.headBytes + layout.droppedBytes;
}

/**
 * Where a reader that had read up to `offset` under the layout `before` goes on under `now` (the
 * file shrank because the monitor dropped bytes): the same byte of the job's output if it is still
 * in the file, else the start of the newest part, with how many unread bytes were dropped.
 */
export function offsetAfterCompaction(
  offset: number,
  before: LogCapLayout | null,
  now: LogCapLayout,
): { readonly offset: number; readonly droppedUnread: number } {
  const index = outputIndexOf(offset, before);
  if (now.bodyOffset === 0 || index < now.headBytes) return { offset: index, droppedUnread: 0 };
  const body = now.headBytes + now.droppedBytes; // the output index the newest part starts at
  if (index >= body) return { offset: index - body + now.bodyOffset, droppedUnread: 0 };
  return { offset: now.bodyOffset, droppedUnread: body - Math.max(index, now.headBytes) };
}
