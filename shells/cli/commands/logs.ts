// `runwarden logs [RUN]`: a run's stdout (or stderr, or both), whole or its tail, optionally
// followed; falls back to the stderr tail kept in the history when the directory was deleted.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tailLines } from '../../../runtime/local/final-view.ts';
import { runFiles } from '../../../runtime/local/layout.ts';
import { RunwardenError } from '../../api/errors.ts';
import type { Workspace } from '../../api/workspace.ts';
import { jobLine, warn } from '../output.ts';

export interface LogsFlags {
  follow?: boolean;
  stderr?: boolean;
  all?: boolean;
  tail?: number;
}

const chunkBytes = 64 * 1024;
const followPollMs = 200;

/** Most characters of an unfinished line held for a terminal before it is shown anyway. */
const pendingCharsMax = 1024 * 1024;

/**
 * Text for stdout. In a pipe it is copied as it is (the raw log); on a terminal it goes out line
 * by line as a person reads it (`jobLine`: the last state of a `\r`-redrawn tqdm line, colours
 * only where colour is on), holding an unfinished line until it ends or `flush`.
 */
class Output {
  #pending = '';

  write(text: string): void {
    if (!process.stdout.isTTY) {
      process.stdout.write(text);
      return;
    }
    const lines = (this.#pending + text).split('\n');
    this.#pending = lines.pop() ?? '';
    if (this.#pending.length > pendingCharsMax) {
      lines.push(this.#pending);
      this.#pending = '';
    }
    if (lines.length > 0) process.stdout.write(`${lines.map((l) => jobLine(l)).join('\n')}\n`);
  }

  /** Shows the unfinished line, if any (the end of a log that does not end with a newline). */
  flush(): void {
    if (this.#pending !== '') process.stdout.write(`${jobLine(this.#pending)}\n`);
    this.#pending = '';
  }
}

const out = new Output();
const decoder = new TextDecoder();
const emit = (text: string) => out.write(text);

/** Copy bytes [from, to) of a file to stdout in bounded chunks; returns where it stopped. */
function copyRange(path: string, from: number, to: number): number {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(chunkBytes);
    let at = from;
    while (at < to) {
      const read = readSync(fd, buffer, 0, Math.min(chunkBytes, to - at), at);
      if (read <= 0) break;
      if (process.stdout.isTTY) emit(decoder.decode(buffer.subarray(0, read), { stream: true }));
      else process.stdout.write(Buffer.from(buffer.subarray(0, read)));
      at += read;
    }
    return at;
  } finally {
    closeSync(fd);
  }
}

const sizeOf = (path: string) => (existsSync(path) ? statSync(path).size : 0);

/** Print each file (whole or its tail); returns the sizes printed up to, for --follow. */
function printOnce(paths: readonly string[], tail: number | undefined): number[] {
  return paths.map((path) => {
    const size = sizeOf(path);
    if (tail === undefined) return copyRange(path, 0, size);
    for (const line of tailLines(path, tail)) emit(`${line}\n`);
    return size;
  });
}

/** Keep printing what the files grow by until the run has ended and nothing more comes. */
async function followFiles(
  paths: readonly string[],
  offsets: number[],
  runEnded: () => boolean,
): Promise<void> {
  for (;;) {
    let grew = false;
    paths.forEach((path, i) => {
      const size = sizeOf(path);
      if (size > (offsets[i] ?? 0)) {
        offsets[i] = copyRange(path, offsets[i] ?? 0, size);
        grew = true;
      }
    });
    if (!grew && runEnded()) return;
    await new Promise((r) => setTimeout(r, followPollMs));
  }
}

export async function logsCommand(
  ws: Workspace,
  runArg: string | undefined,
  flags: LogsFlags,
): Promise<number> {
  // Recover first (as status does): a run that ended unwatched gets its record before we look.
  await ws.recover();
  const runId = ws.resolveRun(runArg, 'latest');
  const dir = join(ws.dir, runId);
  const files = flags.all
    ? [runFiles.stdout, runFiles.stderr]
    : [flags.stderr ? runFiles.stderr : runFiles.stdout];
  if (!existsSync(dir)) {
    const record = ws.history(runId);
    if (record === null)
      throw new RunwardenError('RW_NOT_FOUND', `run ${runId} has no directory and no history record`);
    warn(
      `run ${runId}'s directory was deleted (retention for ${record.outcome} runs); showing the stderr lines its history kept`,
    );
    for (const line of record.stderrTail.slice(-(flags.tail ?? record.stderrTail.length))) emit(`${line}\n`);
    out.flush();
    return 0;
  }
  const paths = files.map((f) => join(dir, f));
  const offsets = printOnce(paths, flags.tail);
  if (flags.follow === true) {
    const stop = () => {
      out.flush();
      process.exit(0);
    };
    process.once('SIGINT', stop);
    await followFiles(
      paths,
      offsets,
      () => existsSync(join(dir, runFiles.exit)) || ws.history(runId) !== null,
    );
    process.off('SIGINT', stop);
  }
  out.flush();
  return 0;
}
