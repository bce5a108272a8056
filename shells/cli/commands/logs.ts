// `runwarden logs [RUN]`: a run's stdout (or stderr, or both), whole or its tail, optionally
// followed; falls back to the stderr tail kept in the history when the directory was deleted.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tailLines } from '../../../runtime/local/final-view.ts';
import { runFiles } from '../../../runtime/local/layout.ts';
import { RunwardenError } from '../../api/errors.ts';
import { copyRunLog, runLogSizeBytes } from '../../api/run-log.ts';
import type { Workspace } from '../../api/workspace.ts';
import { neutralize, warn } from '../output.ts';

export interface LogsFlags {
  follow?: boolean;
  stderr?: boolean;
  all?: boolean;
  tail?: number;
}

const followPollMs = 200;

/** Write text to stdout, neutralising control characters when stdout is a terminal. */
function emit(text: string): void {
  process.stdout.write(process.stdout.isTTY ? neutralize(text) : text);
}

/** Copy what the log holds from `from` on to stdout (confined: never a link out); returns where it stopped. */
function copyFrom(root: string, path: string, from: number): number {
  return copyRunLog(root, path, from, (bytes) => {
    if (process.stdout.isTTY) emit(bytes.toString('utf8'));
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
  for (;;) {
    let grew = false;
    paths.forEach((path, i) => {
      const at = copyFrom(root, path, offsets[i] ?? 0);
      if (at > (offsets[i] ?? 0)) grew = true;
      offsets[i] = at;
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
  const offsets = printOnce(ws.dir, paths, flags.tail);
  if (flags.follow === true) {
    const stop = () => process.exit(0);
    process.once('SIGINT', stop);
    await followFiles(
      ws.dir,
      paths,
      offsets,
      () => existsSync(join(dir, runFiles.exit)) || ws.history(runId) !== null,
    );
    process.off('SIGINT', stop);
  }
  return 0;
}
