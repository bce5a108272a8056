// `runwarden submit [--gpus N] [--after RUN]… [--after-ok RUN]… [--priority P] [--hold] [start's
// options] -- CMD…`: start the run now when it fits, else queue it; returns at once either way.
import type { Workspace } from '../../api/workspace.ts';
import { formatArgv, neutralize, painter, printJson } from '../output.ts';
import { type StartFlags, startOptionsOf } from './start.ts';

export interface SubmitFlags extends StartFlags {
  after?: string[];
  afterOk?: string[];
  priority?: number;
  hold?: boolean;
}

/** Runs `submit`: prints the run id and `started` or `queued` with its position. */
export async function submitCommand(ws: Workspace, argv: string[], flags: SubmitFlags): Promise<number> {
  const submitted = await ws.submit({
    ...startOptionsOf(argv, flags),
    ...(flags.after === undefined ? {} : { after: flags.after }),
    ...(flags.afterOk === undefined ? {} : { afterOk: flags.afterOk }),
    ...(flags.priority === undefined ? {} : { priority: flags.priority }),
    ...(flags.hold === true ? { hold: true } : {}),
  });
  if (flags.json === true) {
    printJson({
      id: submitted.id,
      state: submitted.state,
      position: submitted.position,
      slots: submitted.slots,
    });
    return 0;
  }
  const p = painter(process.stdout);
  const command = neutralize(formatArgv(argv));
  if (submitted.state === 'started') {
    process.stdout.write(
      `started ${p.bold(submitted.id)} on ${submitted.slots.join(', ')}: ${command}\n` +
        `watch it with: runwarden watch ${submitted.id}\n`,
    );
  } else if (submitted.state === 'ended') {
    process.stdout.write(
      `${p.bold(submitted.id)} ended at once without starting (a dependency of --after-ok did not finish): ${command}\n` +
        `see why with: runwarden show ${submitted.id}\n`,
    );
  } else {
    process.stdout.write(
      `queued ${p.bold(submitted.id)} at position ${submitted.position ?? '?'}: ${command}\n` +
        `see the queue with: runwarden queue\n`,
    );
  }
  return 0;
}
