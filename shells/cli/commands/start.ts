// `runwarden start [opts] -- CMD [ARGS…]`: start a run and return once it is confirmed running.
import type { RetentionPolicy } from '../../../machine/types.ts';
import type { Workspace } from '../../api/workspace.ts';
import { formatArgv, neutralize, painter, printJson, warn } from '../output.ts';
import { recoveryLine } from '../recovery-notes.ts';
import { watchRun } from './watch.ts';

export interface StartFlags {
  name?: string;
  grace?: number;
  onFailure?: 'keep' | 'delete';
  onAbort?: 'keep' | 'delete';
  onFinish?: 'keep' | 'delete';
  stallAfter?: number;
  abortOnStall?: boolean;
  cwd?: string;
  env?: string[];
  watch?: boolean;
  json?: boolean;
}

/** `KEY=VALUE` pairs from repeated --env flags. */
function envOf(pairs: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf('=');
      return at < 1 ? [pair, process.env[pair] ?? ''] : [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

export async function startCommand(ws: Workspace, argv: string[], flags: StartFlags): Promise<number> {
  const retention: Partial<RetentionPolicy> = {
    ...(flags.onFailure ? { failed: flags.onFailure } : {}),
    ...(flags.onAbort ? { aborted: flags.onAbort } : {}),
    ...(flags.onFinish ? { finished: flags.onFinish } : {}),
  };
  const started = await ws.start({
    argv,
    ...(flags.name ? { name: flags.name } : {}),
    ...(flags.cwd ? { cwd: flags.cwd } : {}),
    ...(flags.env ? { env: envOf(flags.env) } : {}),
    ...(flags.grace === undefined ? {} : { graceMs: flags.grace }),
    ...(flags.stallAfter === undefined ? {} : { stallAfterMs: flags.stallAfter }),
    ...(flags.abortOnStall ? { abortOnStall: true } : {}),
    retention,
  });
  for (const note of started.recovered) warn(recoveryLine(note));
  if (flags.json === true && flags.watch !== true) {
    printJson({ id: started.id, dir: started.dir, pid: started.pid });
    return 0;
  }
  if (flags.json !== true) {
    const p = painter(process.stdout);
    process.stdout.write(
      `started ${p.bold(started.id)} (pid ${started.pid}): ${neutralize(formatArgv(argv))}\n`,
    );
    process.stdout.write(`dir:     ${started.dir}\n`);
    if (flags.watch !== true)
      process.stdout.write(`watch it with: runwarden watch   stop it with: runwarden abort\n`);
  }
  if (flags.watch !== true) return 0;
  return watchRun(ws, started.id, { json: flags.json === true });
}
