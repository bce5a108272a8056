// The shapes the NDJSON reader is configured with and answers in.

/** Where to start and how much to hold. */
export interface NdjsonReaderOptions {
  /** Byte offset of a line start to read from (a saved `NdjsonBatch.offset`); default 0. */
  readonly offset?: number;
  /** 1-based number of the line at `offset` (a saved `NdjsonBatch.line`); default 1. */
  readonly line?: number;
  /** A longer line is skipped and reported, never held whole; default 1 MiB. */
  readonly lineBytesMax?: number;
  /** Size of each read from the file; default 64 KiB. */
  readonly chunkBytes?: number;
  /** Bytes one `read()` call scans at most before returning with `more: true`; default 8 MiB. */
  readonly readBytesMax?: number;
  /** Skipped lines listed per `read()` at most (all are counted); default 1000. */
  readonly skipReportsMax?: number;
}

/** A line that was not returned as a record. */
export interface NdjsonSkip {
  readonly line: number;
  readonly reason: string;
}

/** What one `read()` call found. */
export interface NdjsonBatch {
  readonly records: Record<string, unknown>[];
  readonly skipped: NdjsonSkip[];
  /** Resume here: the byte offset of the first line not yet complete (a torn line starts here). */
  readonly offset: number;
  /** The 1-based number of the line at `offset`. */
  readonly line: number;
  /** The call stopped at `readBytesMax` before the end of the file: call again. */
  readonly more: boolean;
}

/** Running totals since the reader was made; they show that memory stayed bounded. */
export interface NdjsonCounters {
  readonly linesRead: number;
  readonly recordsRead: number;
  readonly malformedLines: number;
  readonly overlongLines: number;
  /** Most bytes of one unfinished line ever held at once (never above `lineBytesMax`). */
  readonly bufferedBytesPeak: number;
  readonly bytesScanned: number;
}

/** Options of one `read()` call. */
export interface NdjsonReadOptions {
  /** The writer is done: an unterminated last line counts as complete. */
  readonly final?: boolean;
}
