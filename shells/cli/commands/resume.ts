// `runwarden resume [RUN]` (issue 14): start the next run of an ended run's lineage, same config,
// from its newest checkpoint still on disk (RUNWARDEN_RESUME_FROM).
import { resumeRun } from '../../api/resume.ts';
import type { Workspace } from '../../api/workspace.ts';
import { painter, printJson } from '../output.ts';
import { restartLoop } from './restart-loop.ts';
import { watchRun } from './watch.ts';

export interface ResumeFlags {
  json?: boolean;
  watch?: boolean;
  progressEvery?: number;
}

export async function resumeCommand(
  ws: Workspace,
  runArg: string | undefined,
  flags: ResumeFlags,
): Promise<number> {
  const resumed = await resumeRun(ws, runArg);
  if (flags.json === true && flags.watch !== true) {
    printJson(resumed);
    return 0;
  }
  if (flags.json !== true) {
    const p = painter(process.stdout);
    process.stdout.write(
      `resumed ${resumed.parentId} as ${p.bold(resumed.id)} (pid ${resumed.pid}; restart ${resumed.restartCount} of lineage ${resumed.lineageId})\n`,
    );
    process.stdout.write(
      resumed.resumeFrom === null
        ? 'no checkpoint of the lineage is on disk: the job starts without RUNWARDEN_RESUME_FROM\n'
        : `from:    ${resumed.resumeFrom} (RUNWARDEN_RESUME_FROM)\n`,
    );
    process.stdout.write(`dir:     ${resumed.dir}\n`);
  }
  if (flags.watch !== true) return 0;
  const watchOptions = {
    json: flags.json === true,
    ...(flags.progressEvery === undefined ? {} : { progressEveryMs: flags.progressEvery }),
  };
  return restartLoop(ws, resumed.id, await watchRun(ws, resumed.id, watchOptions), watchOptions);
}
