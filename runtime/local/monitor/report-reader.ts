// Reads the monitor's report channel (its fd 3) one line at a time, each wait bounded.
import net from 'node:net';
import type { Readable } from 'node:stream';

/** What a bounded wait for the next report line gave. */
export type ReportLine = { kind: 'line'; line: string } | { kind: 'ended' } | { kind: 'timeout' };

/** A line reader over the report channel; see `readReportLines`. */
export interface ReportReader {
  /** The next complete line; `ended` once the channel closed with no more lines; `timeout` after `timeoutMs`. */
  next(timeoutMs: number): Promise<ReportLine>;
  /** Close the channel; pending and later waits see `ended`. */
  close(): void;
}

/** The longest report line accepted; the monitor's lines are a few dozen bytes. */
const LINE_BYTES_MAX = 256;

/**
 * Wrap the launcher's end of the report channel. The socket is unref'd so it never keeps the
 * launcher alive by itself; a pending `next()` keeps it alive through its timer.
 */
export function readReportLines(stream: Readable): ReportReader {
  const lines: string[] = [];
  let partial = '';
  let ended = false;
  let wake: (() => void) | null = null;
  const notify = (): void => {
    wake?.();
  };
  if (stream instanceof net.Socket) stream.unref();
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    if (partial.length > LINE_BYTES_MAX) partial = '';
    notify();
  });
  const end = (): void => {
    ended = true;
    notify();
  };
  stream.on('end', end);
  stream.on('close', end);
  stream.on('error', end);

  return {
    async next(timeoutMs: number): Promise<ReportLine> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const line = lines.shift();
        if (line !== undefined) return { kind: 'line', line };
        if (ended) return { kind: 'ended' };
        const leftMs = deadline - Date.now();
        if (leftMs <= 0) return { kind: 'timeout' };
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, leftMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = null;
      }
    },
    close(): void {
      stream.destroy();
      end();
    },
  };
}
