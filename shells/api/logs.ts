// A run's logs for readers: the last lines of a log, and a bounded copy of a byte range.
import { closeSync, openSync, readSync } from 'node:fs';
import { tailLines } from '../../runtime/local/final-view.ts';

/** The last `linesMax` lines of a file, reading at most its last 64 KiB; [] when unreadable. */
export { tailLines };

/** Bytes read per call when copying a range. */
const chunkBytes = 64 * 1024;

/**
 * Bytes [from, to) of the file at `path`, in chunks of at most 64 KiB handed to `write`; returns
 * the offset it stopped at (short of `to` when the file is shorter). Throws when it cannot open it.
 */
export function copyLogRange(path: string, from: number, to: number, write: (chunk: Buffer) => void): number {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(chunkBytes);
    let at = from;
    while (at < to) {
      const read = readSync(fd, buffer, 0, Math.min(chunkBytes, to - at), at);
      if (read <= 0) break;
      write(Buffer.from(buffer.subarray(0, read)));
      at += read;
    }
    return at;
  } finally {
    closeSync(fd);
  }
}
