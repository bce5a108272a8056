// Following an append-only NDJSON file: complete lines become records, a torn last line waits for
// the rest, bad and overlong lines are reported by line number, and memory stays bounded.
import { isUtf8 } from 'node:buffer';
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
import { parseNdjsonLine, parseNdjsonText } from './ndjson-line.ts';

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

  /**
   * Splits a chunk read at the scan offset into lines; keeps its unterminated tail. The lines
   * after the first (which may complete a held line) are decoded at once when they are valid
   * UTF-8 (one check and one string for the chunk, not one per line); a chunk with invalid bytes
   * is split line by line so each bad line is reported.
   */
  #consume(bytes: Buffer, records: Record<string, unknown>[], skipped: NdjsonSkip[]): void {
    let start = 0;
    let triedText = false;
    // Each pass consumes one line (at least its '\n') or all complete lines left, so it runs at
    // most bytes.length times.
    while (start < bytes.length) {
      if (!triedText && this.#partialBytes === 0 && !this.#skipping) {
        triedText = true;
        const last = bytes.lastIndexOf(0x0a);
        if (last >= start) {
          const region = bytes.subarray(start, last);
          if (isUtf8(region)) {
            this.#textLines(region.toString('utf8'), records, skipped);
            this.#offset = this.#scanOffset + last + 1;
            start = last + 1;
            continue;
          }
        }
      }
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

  /** The complete lines of `text` (decoded UTF-8, '\n'-separated, without the last '\n'). */
  #textLines(text: string, records: Record<string, unknown>[], skipped: NdjsonSkip[]): void {
    // A line of n characters has at most 3n bytes (a UTF-16 pair is 2 characters for 4 bytes).
    const charsSafe = Math.floor(this.lineBytesMax / 3);
    let from = 0;
    // Each pass consumes one line and its '\n': at most text.length + 1 passes.
    for (;;) {
      const newline = text.indexOf('\n', from);
      let line = newline === -1 ? text.slice(from) : text.slice(from, newline);
      from = newline + 1;
      const lineNumber = this.#line;
      this.#line += 1;
      this.#counters.linesRead += 1;
      if (line.length > charsSafe && Buffer.byteLength(line, 'utf8') > this.lineBytesMax) {
        this.#counters.overlongLines += 1;
        this.#report(skipped, lineNumber, `line longer than ${this.lineBytesMax} bytes`);
      } else {
        if (line.charCodeAt(line.length - 1) === 0x0d) line = line.slice(0, -1);
        // As the per-line decoder does: a byte order mark opening a line is not part of it.
        if (line.charCodeAt(0) === 0xfeff) line = line.slice(1);
        this.#textLine(line, lineNumber, records, skipped);
      }
      if (newline === -1) return;
    }
  }

  /** One decoded line: parsed straight away when it looks like an object, else judged fully. */
  #textLine(
    line: string,
    lineNumber: number,
    records: Record<string, unknown>[],
    skipped: NdjsonSkip[],
  ): void {
    if (line.charCodeAt(0) === 0x7b) {
      try {
        const value: unknown = JSON.parse(line);
        if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
          records.push(value as Record<string, unknown>);
          this.#counters.recordsRead += 1;
          return;
        }
      } catch {
        // judged below, with the reason
      }
    }
    const parsed = parseNdjsonText(line);
    if (parsed.kind === 'record') {
      records.push(parsed.record);
      this.#counters.recordsRead += 1;
    } else if (parsed.kind === 'malformed') {
      this.#counters.malformedLines += 1;
      this.#report(skipped, lineNumber, parsed.reason);
    }
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
