// Following an append-only NDJSON file: complete lines become records, a torn last line waits for
// the rest, bad and overlong lines are reported by line number, and memory stays bounded.
import { readSync } from 'node:fs';
import type { Result } from '../../machine/ports.ts';
import { closeQuietly } from './cleanup.ts';
import { openConfined } from './confined.ts';
import { errnoOf, failure, success } from './fs-error.ts';
import type {
  NdjsonBatch,
  NdjsonCounters,
  NdjsonReaderOptions,
  NdjsonReadOptions,
  NdjsonSkip,
} from './ndjson-batch.ts';
import { parseNdjsonLine } from './ndjson-line.ts';

export { appendLine } from './ndjson-append.ts';
export type * from './ndjson-batch.ts';

/**
 * An incremental reader of one NDJSON file. Each `read()` scans from where the last one stopped
 * in chunks of `chunkBytes`; nothing but the current unfinished line (at most `lineBytesMax`
 * bytes) is kept between calls. Blank lines are ignored; lines that are not UTF-8 JSON objects
 * are skipped and reported. A missing file reads as empty. Every read opens through the confined
 * layer (inside the workspace `root`, no symlink, no FIFO). Not safe for concurrent `read()`s.
 */
export class NdjsonReader {
  readonly root: string;
  readonly path: string;
  readonly lineBytesMax: number;
  readonly readBytesMax: number;
  readonly skipReportsMax: number;
  #chunk: Buffer;
  #offset: number;
  #line: number;
  #scanOffset: number;
  #partial: Buffer[] = [];
  #partialBytes = 0;
  #skipping = false;
  #counters = {
    linesRead: 0,
    recordsRead: 0,
    malformedLines: 0,
    overlongLines: 0,
    bufferedBytesPeak: 0,
    bytesScanned: 0,
  };

  /** A reader of `path` in the workspace `root`, from `opts.offset` (a line start) numbered `opts.line`. */
  constructor(root: string, path: string, opts: NdjsonReaderOptions = {}) {
    this.root = root;
    this.path = path;
    this.lineBytesMax = positiveInteger('lineBytesMax', opts.lineBytesMax ?? 1024 * 1024);
    this.readBytesMax = positiveInteger('readBytesMax', opts.readBytesMax ?? 8 * 1024 * 1024);
    this.skipReportsMax = positiveInteger('skipReportsMax', opts.skipReportsMax ?? 1000);
    this.#chunk = Buffer.allocUnsafe(positiveInteger('chunkBytes', opts.chunkBytes ?? 64 * 1024));
    this.#offset = nonNegativeInteger('offset', opts.offset ?? 0);
    this.#line = positiveInteger('line', opts.line ?? 1);
    this.#scanOffset = this.#offset;
  }

  /** The totals so far (a copy). */
  get counters(): NdjsonCounters {
    return { ...this.#counters };
  }

  /**
   * Reads what was appended since the last call. Fails with `RW_FILE_TRUNCATED` when the file is
   * now shorter than what was already read (it was replaced or truncated: start a new reader),
   * `RW_PATH_ESCAPE` / `RW_NOT_REGULAR` for a symlink or a FIFO (see confined.ts), and
   * `RW_READ_FAILED` for operating errors other than ENOENT.
   */
  read(opts: NdjsonReadOptions = {}): Result<NdjsonBatch> {
    const opened = openConfined(this.root, this.path);
    if (!opened.ok) return opened;
    if (opened.value === 'missing') return success(this.#batch([], [], false));
    const { fd, sizeBytes } = opened.value;
    try {
      return this.#readFrom(fd, sizeBytes, opts.final === true);
    } catch (error) {
      return failure('RW_READ_FAILED', `reading ${this.path}: ${errnoOf(error)}; check the file`);
    } finally {
      closeQuietly(fd);
    }
  }

  /** Scans `fd` from the scan offset up to the end of the file or the per-call budget. */
  #readFrom(fd: number, sizeBytes: number, final: boolean): Result<NdjsonBatch> {
    if (sizeBytes < this.#scanOffset) {
      const why = `it shrank to ${sizeBytes} bytes below offset ${this.#scanOffset}`;
      return failure('RW_FILE_TRUNCATED', `reading ${this.path}: ${why}; it was replaced, read it anew`);
    }
    const records: Record<string, unknown>[] = [];
    const skipped: NdjsonSkip[] = [];
    const budgetEnd = this.#scanOffset + this.readBytesMax;
    let atEnd = false;
    // Each pass advances the scan offset by at least one byte or ends, within readBytesMax.
    while (this.#scanOffset < budgetEnd) {
      const wantBytes = Math.min(this.#chunk.length, budgetEnd - this.#scanOffset);
      const gotBytes = readSync(fd, this.#chunk, 0, wantBytes, this.#scanOffset);
      if (gotBytes === 0) {
        atEnd = true;
        break;
      }
      this.#consume(this.#chunk.subarray(0, gotBytes), records, skipped);
    }
    if (atEnd && final) this.#finishPartial(records, skipped);
    return success(this.#batch(records, skipped, !atEnd));
  }

  /** Splits a chunk read at the scan offset into lines; keeps its unterminated tail. */
  #consume(bytes: Buffer, records: Record<string, unknown>[], skipped: NdjsonSkip[]): void {
    let start = 0;
    // Each pass consumes one line (at least its '\n'), so it runs at most bytes.length times.
    while (start < bytes.length) {
      const newline = bytes.indexOf(0x0a, start);
      if (newline === -1) {
        this.#hold(bytes.subarray(start));
        break;
      }
      this.#endLine(bytes.subarray(start, newline), records, skipped);
      this.#offset = this.#scanOffset + newline + 1;
      start = newline + 1;
    }
    this.#scanOffset += bytes.length;
    this.#counters.bytesScanned += bytes.length;
  }

  /** Keeps a copy of an unfinished line's bytes, or starts skipping it once it is too long. */
  #hold(piece: Buffer): void {
    if (this.#skipping) return;
    if (this.#partialBytes + piece.length > this.lineBytesMax) {
      this.#dropPartial();
      this.#skipping = true;
      return;
    }
    this.#partial.push(Buffer.from(piece));
    this.#partialBytes += piece.length;
    this.#counters.bufferedBytesPeak = Math.max(this.#counters.bufferedBytesPeak, this.#partialBytes);
  }

  /** Completes the current line with `tail` and turns it into a record or a skip. */
  #endLine(tail: Buffer, records: Record<string, unknown>[], skipped: NdjsonSkip[]): void {
    const lineNumber = this.#line;
    this.#line += 1;
    this.#counters.linesRead += 1;
    if (this.#skipping || this.#partialBytes + tail.length > this.lineBytesMax) {
      this.#dropPartial();
      this.#counters.overlongLines += 1;
      this.#report(skipped, lineNumber, `line longer than ${this.lineBytesMax} bytes`);
      return;
    }
    const bytes = this.#partial.length === 0 ? tail : Buffer.concat([...this.#partial, tail]);
    this.#dropPartial();
    const parsed = parseNdjsonLine(bytes);
    if (parsed.kind === 'record') {
      records.push(parsed.record);
      this.#counters.recordsRead += 1;
    } else if (parsed.kind === 'malformed') {
      this.#counters.malformedLines += 1;
      this.#report(skipped, lineNumber, parsed.reason);
    }
  }

  /** At the end of a finished file: the unterminated last line counts as a line. */
  #finishPartial(records: Record<string, unknown>[], skipped: NdjsonSkip[]): void {
    if (!this.#skipping && this.#partialBytes === 0) return;
    this.#endLine(Buffer.alloc(0), records, skipped);
    this.#offset = this.#scanOffset;
  }

  /** Lists a skipped line, up to `skipReportsMax` per call (the counters count them all). */
  #report(skipped: NdjsonSkip[], line: number, reason: string): void {
    if (skipped.length < this.skipReportsMax) skipped.push({ line, reason });
  }

  /** Forgets the current unfinished line. */
  #dropPartial(): void {
    this.#partial = [];
    this.#partialBytes = 0;
    this.#skipping = false;
  }

  /** The result of a call, with the resumable position. */
  #batch(records: Record<string, unknown>[], skipped: NdjsonSkip[], more: boolean): NdjsonBatch {
    return { records, skipped, offset: this.#offset, line: this.#line, more };
  }
}

/** Asserts an option is a positive integer (a programmer error otherwise). */
function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`NdjsonReader option ${name} must be a positive integer, got ${value}`);
  }
  return value;
}

/** Asserts an option is a non-negative integer (a programmer error otherwise). */
function nonNegativeInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`NdjsonReader option ${name} must be a non-negative integer, got ${value}`);
  }
  return value;
}
