// `runwarden logs [RUN]`: a run's stdout (or stderr, or both), whole or its tail, optionally
// followed; falls back to the stderr tail kept in the history when the directory was deleted.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RunwardenError } from '../../api/errors.ts';
import { runFiles } from '../../api/run-files.ts';
import { copyRunLog, LogFollowCursor, runLogSizeBytes, tailLines } from '../../api/run-log.ts';
import type { Workspace } from '../../api/workspace.ts';
import { jobLine, warn } from '../output.ts';

export interface LogsFlags {
  follow?: boolean;
  stderr?: boolean;
  all?: boolean;
  tail?: number;
}

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

/** Copy what the log holds from `from` on to stdout (confined: never a link out); returns where it stopped. */
function copyFrom(root: string, path: string, from: number): number {
  return copyRunLog(root, path, from, (bytes) => {
    if (process.stdout.isTTY) emit(decoder.decode(bytes, { stream: true }));
    else process.stdout.write(bytes);
  });
}

/** Print each file (whole or its tail); returns the sizes printed up to, for --follow. */
function printOnce(root: string, paths: readonly string[], tail: number | undefined): number[] {
  return paths.map((path) => {
    if (tail === undefined) return copyFrom(root, path, 0);
    const sizeBytes = runLogSizeBytes(root, path); // refuses a link or FIFO before printing
    for (const line of tailLines(path, tail, root)) emit(`${line}\n`);
    return sizeBytes;
  });
}

/** Keep printing what the files grow by until the run has ended and nothing more comes. */
async function followFiles(
  root: string,
  paths: readonly string[],
  offsets: number[],
  runEnded: () => boolean,
): Promise<void> {
  // Cursors, not offsets: a log capped by --log-max shrinks when bytes are dropped (issue 17).
  const cursors = paths.map((path, i) => new LogFollowCursor(root, path, offsets[i] ?? 0));
  const write = (bytes: Buffer) => {
    if (process.stdout.isTTY) emit(decoder.decode(bytes, { stream: true }));
    else process.stdout.write(bytes);
  };
  for (;;) {
    let grew = false;
    for (const cursor of cursors) if (cursor.copyNew(write)) grew = true;
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
      `run ${runId}'s directory was deleted (by its retention or runwarden prune); showing the stderr lines its history kept`,
    );
    for (const line of record.stderrTail.slice(-(flags.tail ?? record.stderrTail.length))) emit(`${line}\n`);
    out.flush();
    return 0;
  }
  const paths = files.map((f) => join(dir, f));
  const offsets = printOnce(ws.dir, paths, flags.tail);
  if (flags.follow === true) {
    const stop = () => {
      out.flush();
      process.exit(0);
    };
    process.once('SIGINT', stop);
    await followFiles(
      ws.dir,
      paths,
      offsets,
      () => existsSync(join(dir, runFiles.exit)) || ws.history(runId) !== null,
    );
    process.off('SIGINT', stop);
  }
  out.flush();
  return 0;
}
