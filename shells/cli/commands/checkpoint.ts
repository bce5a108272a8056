// `runwarden checkpoint [RUN]` (issue 14): ask the running job for a checkpoint; the run goes on.
import { requestCheckpoint } from '../../api/checkpoint.ts';
import type { Workspace } from '../../api/workspace.ts';
import { printJson } from '../output.ts';

export interface CheckpointFlags {
  wait?: boolean;
  timeout?: number;
  json?: boolean;
}

export async function checkpointCommand(
  ws: Workspace,
  runId: string | undefined,
  flags: CheckpointFlags,
): Promise<number> {
  const answer = await requestCheckpoint(ws, runId, {
    wait: flags.wait === true,
    ...(flags.timeout === undefined ? {} : { timeoutMs: flags.timeout }),
  });
  if (flags.json === true) {
    printJson(answer);
    return 0;
  }
  const { request } = answer;
  process.stdout.write(
    `asked ${answer.runId} for a checkpoint (request #${request.seq}, ${request.signal}); the run goes on\n`,
  );
  if (answer.checkpoint !== null) {
    const step = answer.checkpoint.step === null ? '' : ` (step ${answer.checkpoint.step})`;
    process.stdout.write(`checkpoint: ${answer.checkpoint.path}${step}\n`);
  }
  return 0;
}
