// `runwarden pause [RUN]` / `runwarden continue [RUN]` (issue 14): SIGSTOP / SIGCONT the job's group.
import { continueRun, pauseRun } from '../../api/pause.ts';
import type { Workspace } from '../../api/workspace.ts';
import { printJson } from '../output.ts';

export async function pauseCommand(ws: Workspace, runId: string | undefined, flags: { json?: boolean }) {
  const id = await pauseRun(ws, runId);
  if (flags.json === true) printJson({ id, state: 'paused' });
  else
    process.stdout.write(
      `paused ${id} (SIGSTOP to its process group); it keeps its GPU memory and everything else it holds; let it go on with: runwarden continue ${id}\n`,
    );
  return 0;
}

export async function continueCommand(ws: Workspace, runId: string | undefined, flags: { json?: boolean }) {
  const id = await continueRun(ws, runId);
  if (flags.json === true) printJson({ id, state: 'running' });
  else process.stdout.write(`continued ${id} (SIGCONT); its stall window starts afresh\n`);
  return 0;
}
