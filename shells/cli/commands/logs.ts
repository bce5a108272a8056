// `runwarden logs [RUN]`: a run's stdout (or stderr, or both), whole or its tail, optionally
// followed; falls back to the stderr tail kept in the history when the directory was deleted.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RunwardenError } from '../../api/errors.ts';
import { tailLines } from '../../api/logs.ts';
import { runFiles } from '../../api/run-files.ts';
import type { Workspace } from '../../api/workspace.ts';
import { neutralize, warn } from '../output.ts';

export interface LogsFlags {
  follow?: boolean;
  stderr?: boolean;
  all?: boolean;
  tail?: number;
}

const chunkBytes = 64 * 1024;
const followPollMs = 200;

/** Write text to stdout, neutralising control characters when stdout is a terminal. */
function emit(text: string): void {
  process.stdout.write(process.stdout.isTTY ? neutralize(text) : text);
}

/** Copy bytes [from, to) of a file to stdout in bounded chunks; returns where it stopped. */
function copyRange(path: string, from: number, to: number): number {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(chunkBytes);
    let at = from;
    while (at < to) {
      const read = readSync(fd, buffer, 0, Math.min(chunkBytes, to - at), at);
      if (read <= 0) break;
      if (process.stdout.isTTY) emit(buffer.subarray(0, read).toString('utf8'));
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
    return 0;
  }
  const paths = files.map((f) => join(dir, f));
  const offsets = printOnce(paths, flags.tail);
  if (flags.follow === true) {
    const stop = () => process.exit(0);
    process.once('SIGINT', stop);
    await followFiles(
      paths,
      offsets,
      () => existsSync(join(dir, runFiles.exit)) || ws.history(runId) !== null,
    );
    process.off('SIGINT', stop);
  }
  return 0;
}
