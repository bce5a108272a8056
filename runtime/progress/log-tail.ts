// Following a job's log file as segments split at '\r' and '\n', holding at most one short segment.
import { readSync } from 'node:fs';
import type { Result } from '../../machine/ports.ts';
import { closeQuietly } from '../fs/cleanup.ts';
import { openConfined } from '../fs/confined.ts';
import { errnoOf, failure, success } from '../fs/fs-error.ts';
import {
  hiddenRangeOf,
  type LogCapLayout,
  offsetAfterCompaction,
  readLogCap,
} from '../local/log-cap-layout.ts';
import { positiveInteger } from './positive-integer.ts';

/** A piece of log text between separators: a line, or one update of a '\r'-redrawn bar. */
export interface LogSegment {
  /** Decoded leniently (invalid UTF-8 becomes U+FFFD: log text is only read, never stored). */
  readonly text: string;
  /** 1-based line number (counting '\n'). */
  readonly line: number;
  /** Byte offset of the segment's first byte, and its length: together they identify it. */
  readonly startOffset: number;
  readonly bytes: number;
}

/** A segment that was too long to keep, or a problem with the file itself (line 0). */
export interface LogSkip {
  readonly line: number;
  readonly reason: string;
}

/** What one `read()` found besides the segments it handed over. */
export interface LogRead {
  readonly skipped: readonly LogSkip[];
  /** Skipped segments, all counted (`skipped` lists at most `skipReportsMax`). */
  readonly skippedCount: number;
  /** The call stopped at `readBytesMax` before the end of the file. */
  readonly more: boolean;
}

/** Sizes of a `LogTail`. */
export interface LogTailOptions {
  /** A longer segment is skipped and reported, never held; default 16 KiB. */
  readonly segmentBytesMax?: number;
  /** Size of each read; default 64 KiB. */
  readonly chunkBytes?: number;
  /** Bytes one `read()` scans at most; default 4 MiB. */
  readonly readBytesMax?: number;
  /** Skipped segments listed per `read()` at most; default 100. */
  readonly skipReportsMax?: number;
  /** Resume at a saved `position` (a segment start and its line) instead of the file's start. */
  readonly start?: { readonly offset: number; readonly line: number };
}

/** A LogTail's reading state, and the capped log's generation it was read under. */
interface TailState {
  readonly generation: number;
  readonly offset: number;
  readonly line: number;
  readonly segmentStart: number;
  readonly partial: Buffer[];
  readonly partialBytes: number;
  readonly skipping: boolean;
}

/**
 * An incremental reader of a log file that a job appends to. Hands over every complete segment
 * once, in order; keeps only the unfinished last segment, up to `segmentBytesMax` (a 10 MB line
 * or an endless line without separators costs no more). A file that shrinks is read again from
 * its start. A missing file reads as empty; a symlink or FIFO is refused (opened through the
 * confined layer, inside the workspace `root`). Not safe for concurrent `read()`s.
 */
export class LogTail {
  readonly root: string;
  readonly path: string;
  readonly segmentBytesMax: number;
  readonly readBytesMax: number;
  readonly skipReportsMax: number;
  #chunk: Buffer;
  #offset = 0;
  #line = 1;
  #segmentStart = 0;
  #partial: Buffer[] = [];
  #partialBytes = 0;
  #skipping = false;
  #heldBytesPeak = 0;
  /** The layout of a log capped by --log-max (issue 17); null: not capped; undefined: not known yet. */
  #cap: LogCapLayout | null | undefined;

  /** A reader of `path` from its start; throws a RangeError for a size that is not a positive integer. */
  constructor(root: string, path: string, opts: LogTailOptions = {}) {
    this.root = root;
    this.path = path;
    this.segmentBytesMax = positiveInteger('LogTail', 'segmentBytesMax', opts.segmentBytesMax ?? 16 * 1024);
    this.readBytesMax = positiveInteger('LogTail', 'readBytesMax', opts.readBytesMax ?? 4 * 1024 * 1024);
    this.skipReportsMax = positiveInteger('LogTail', 'skipReportsMax', opts.skipReportsMax ?? 100);
    this.#chunk = Buffer.allocUnsafe(positiveInteger('LogTail', 'chunkBytes', opts.chunkBytes ?? 64 * 1024));
    if (opts.start !== undefined) {
      this.#offset = opts.start.offset;
      this.#segmentStart = opts.start.offset;
      this.#line = positiveInteger('LogTail', 'start.line', opts.start.line);
    }
  }

  /**
   * Where a new tail would resume to hand over the same segments from here on: the start of the
   * unfinished segment (its bytes are read again) and its line.
   */
  get position(): { readonly offset: number; readonly line: number } {
    return { offset: this.#segmentStart, line: this.#line };
  }

  /** Most bytes of an unfinished segment ever held (never above `segmentBytesMax`). */
  get heldBytesPeak(): number {
    return this.#heldBytesPeak;
  }

  /** Bytes read so far. */
  get offset(): number {
    return this.#offset;
  }

  /** Reads what was appended since the last call, handing each complete segment to `onSegment`. */
  read(onSegment: (segment: LogSegment) => void): Result<LogRead> {
    const opened = openConfined(this.root, this.path);
    if (!opened.ok) return opened;
    if (opened.value === 'missing') return success({ skipped: [], skippedCount: 0, more: false });
    const { fd, sizeBytes } = opened.value;
    const capped = this.#followCap(sizeBytes);
    if (capped !== null) {
      closeQuietly(fd);
      return success({ skipped: capped, skippedCount: 0, more: capped.length > 0 });
    }
    // A capped log's bytes move while the monitor compacts it (its generation turns odd, then
    // even): what was read is handed over only if the generation is the same after the read, the
    // way a seqlock is read. Otherwise the read is undone, to go on where the bytes went.
    const before = this.#cap === null || this.#cap === undefined ? null : this.#saveState();
    const held: LogSegment[] = [];
    try {
      const read = this.#readFrom(fd, sizeBytes, before === null ? onSegment : (s) => held.push(s));
      if (before === null) return success(read);
      const after = readLogCap(this.root, this.path);
      if (after === null || after.generation !== before.generation || before.generation % 2 === 1) {
        this.#restoreState(before);
        return success({ skipped: [], skippedCount: 0, more: after !== null });
      }
      for (const segment of held) onSegment(segment);
      return success(read);
    } catch (error) {
      // Only the file's own errors are a failed read: what `onSegment` throws is the caller's.
      if (!(error instanceof Error && 'syscall' in error)) throw error;
      return failure('RW_READ_FAILED', `reading ${this.path}: ${errnoOf(error)}; check the file`);
    } finally {
      closeQuietly(fd);
    }
  }

  /** The unfinished last segment (a bar tqdm is showing right now), or null. */
  pending(): LogSegment | null {
    if (this.#skipping || this.#partialBytes === 0) return null;
    const bytes = Buffer.concat(this.#partial);
    return {
      text: bytes.toString('utf8'),
      line: this.#line,
      startOffset: this.#segmentStart,
      bytes: bytes.length,
    };
  }

  /** Scans from the offset to the end of the file or the per-call budget. */
  #readFrom(fd: number, sizeBytes: number, onSegment: (segment: LogSegment) => void): LogRead {
    const skips = { list: [] as LogSkip[], count: 0 };
    if (sizeBytes < this.#offset) this.#restart(skips);
    // A capped log (issue 17): never read into the bytes dropped between its marker and newest part.
    const hidden = hiddenRangeOf(this.#cap ?? null);
    const stopAt = hidden !== null && this.#offset < hidden.start ? hidden.start : Number.POSITIVE_INFINITY;
    const budgetEnd = Math.min(this.#offset + this.readBytesMax, stopAt);
    // Each pass advances the offset by at least one byte or ends, within readBytesMax.
    while (this.#offset < budgetEnd) {
      const wantBytes = Math.min(this.#chunk.length, budgetEnd - this.#offset);
      const gotBytes = readSync(fd, this.#chunk, 0, wantBytes, this.#offset);
      if (gotBytes === 0) return { skipped: skips.list, skippedCount: skips.count, more: false };
      this.#consume(this.#chunk.subarray(0, gotBytes), onSegment, skips);
    }
    return { skipped: skips.list, skippedCount: skips.count, more: this.#offset < sizeBytes };
  }

  /** Splits bytes read at the offset into segments; keeps the unterminated tail. */
  #consume(
    bytes: Buffer,
    onSegment: (segment: LogSegment) => void,
    skips: { list: LogSkip[]; count: number },
  ) {
    let start = 0;
    let lf = bytes.indexOf(0x0a);
    let cr = bytes.indexOf(0x0d);
    // Each pass ends one segment (consuming its separator), so it runs at most bytes.length times.
    while (start < bytes.length) {
      if (lf !== -1 && lf < start) lf = bytes.indexOf(0x0a, start);
      if (cr !== -1 && cr < start) cr = bytes.indexOf(0x0d, start);
      const separator = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
      if (separator === -1) {
        this.#hold(bytes.subarray(start));
        break;
      }
      this.#endSegment(bytes.subarray(start, separator), onSegment, skips);
      if (bytes[separator] === 0x0a) this.#line += 1;
      this.#segmentStart = this.#offset + separator + 1;
      start = separator + 1;
    }
    this.#offset += bytes.length;
  }

  /** Keeps an unfinished segment's bytes, or starts skipping it once it is too long. */
  #hold(piece: Buffer): void {
    if (this.#skipping) return;
    if (this.#partialBytes + piece.length > this.segmentBytesMax) {
      this.#partial = [];
      this.#partialBytes = 0;
      this.#skipping = true;
      return;
    }
    this.#partial.push(Buffer.from(piece));
    this.#partialBytes += piece.length;
    this.#heldBytesPeak = Math.max(this.#heldBytesPeak, this.#partialBytes);
  }

  /** Completes the current segment with `tail` and hands it over, or reports it as too long. */
  #endSegment(
    tail: Buffer,
    onSegment: (segment: LogSegment) => void,
    skips: { list: LogSkip[]; count: number },
  ) {
    const tooLong = this.#skipping || this.#partialBytes + tail.length > this.segmentBytesMax;
    const bytes = tooLong || this.#partial.length === 0 ? tail : Buffer.concat([...this.#partial, tail]);
    this.#partial = [];
    this.#partialBytes = 0;
    this.#skipping = false;
    if (tooLong) {
      skips.count += 1;
      const reason = `a segment longer than ${this.segmentBytesMax} bytes without '\\r' or '\\n'; not parsed`;
      if (skips.list.length < this.skipReportsMax) skips.list.push({ line: this.#line, reason });
      return;
    }
    if (bytes.length === 0) return;
    onSegment({
      text: bytes.toString('utf8'),
      line: this.#line,
      startOffset: this.#segmentStart,
      bytes: bytes.length,
    });
  }

  /**
   * A capped log (issue 17): after the monitor dropped bytes, goes on at the same byte of the
   * output (or the oldest one kept). Non-null (what to report) when this read must wait: the
   * monitor is moving bytes right now.
   */
  #followCap(sizeBytes: number): LogSkip[] | null {
    if (this.#cap === null) return null;
    const now = readLogCap(this.root, this.path);
    if (this.#cap === undefined) {
      this.#cap = now;
      if (now === null || now.generation % 2 === 0) return this.#skipHidden();
    }
    if (now === null || now.generation === this.#cap?.generation) return this.#skipHidden();
    if (now.generation % 2 === 1) return [];
    const moved = offsetAfterCompaction(this.#offset, this.#cap ?? null, now);
    this.#cap = now;
    if (moved.offset > sizeBytes) return null; // not this file's layout: read on (a shrink restarts)
    this.#offset = moved.offset;
    this.#segmentStart = moved.offset;
    this.#partial = [];
    this.#partialBytes = 0;
    this.#skipping = false; // the newest part starts at a line start
    if (moved.droppedUnread === 0) return this.#skipHidden();
    const reason = `${moved.droppedUnread} bytes were dropped by --log-max before they were read`;
    return [{ line: 0, reason }];
  }

  /** At the end of a capped log's marker: go on at its newest part (the bytes between are gone). */
  #skipHidden(): null {
    const hidden = hiddenRangeOf(this.#cap ?? null);
    if (hidden !== null && this.#offset >= hidden.start && this.#offset < hidden.end) {
      this.#offset = hidden.end;
      this.#segmentStart = hidden.end;
    }
    return null;
  }

  /** What a read of a capped log changes, to undo it when the monitor moved bytes meanwhile. */
  #saveState(): TailState {
    return {
      generation: this.#cap?.generation ?? 0,
      offset: this.#offset,
      line: this.#line,
      segmentStart: this.#segmentStart,
      partial: [...this.#partial],
      partialBytes: this.#partialBytes,
      skipping: this.#skipping,
    };
  }

  #restoreState(state: TailState): void {
    this.#offset = state.offset;
    this.#line = state.line;
    this.#segmentStart = state.segmentStart;
    this.#partial = state.partial;
    this.#partialBytes = state.partialBytes;
    this.#skipping = state.skipping;
  }

  /** Starts over after the file shrank (it was truncated or replaced). */
  #restart(skips: { list: LogSkip[]; count: number }): void {
    skips.list.push({
      line: 0,
      reason: `the file shrank below offset ${this.#offset}; reading it from the start`,
    });
    this.#offset = 0;
    this.#line = 1;
    this.#segmentStart = 0;
    this.#partial = [];
    this.#partialBytes = 0;
    this.#skipping = false;
  }
}
