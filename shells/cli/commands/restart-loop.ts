// Issue 14: after a watched run ended, carry out its restart policy (--retries, --auto-resume)
// and watch the next run of its lineage, until the policy says no. Exits with the last run's code.
import { restartIfDue } from '../../api/resume.ts';
import type { Workspace } from '../../api/workspace.ts';
import { formatDuration } from '../output.ts';
import { type WatchOptions, watchRun } from './watch.ts';

export async function restartLoop(
  ws: Workspace,
  firstId: string,
  firstCode: number,
  options: WatchOptions,
): Promise<number> {
  let id = firstId;
  let code = firstCode;
  // Bounded by the policy (retries, and restartsMax for --auto-resume).
  for (;;) {
    const record = ws.history(id);
    if (record === null || record.config.retries === undefined) return code;
    const next = await restartIfDue(ws, record, (decision) => {
      if (options.json === true) return;
      if (decision.kind === 'none') process.stdout.write(`no restart: ${decision.why}\n`);
      else
        process.stdout.write(
          `${decision.kind === 'retry' ? 'retrying' : 'resuming'} ${id} in ${formatDuration(decision.delayMs)}: ${decision.why}\n`,
        );
    });
    if (next === null) return code;
    if (options.json !== true)
      process.stdout.write(
        `started ${next.id} (restart ${next.restartCount} of lineage ${next.lineageId})${next.resumeFrom === null ? '' : ` from ${next.resumeFrom}`}\n`,
      );
    id = next.id;
    code = await watchRun(ws, id, options);
  }
}
