// `runwarden start [opts] -- CMD [ARGS…]`: start a run and return once it is confirmed running.

import { statSync } from 'node:fs';
import type { RetentionPolicy } from '../../../machine/types.ts';
import { RunwardenError } from '../../api/errors.ts';
import { cardsWritten } from '../../api/run-card.ts';
import type { StartOptions, Workspace } from '../../api/workspace.ts';
import { formatArgv, neutralize, painter, printJson } from '../output.ts';
import { notice } from '../recovery-notes.ts';
import { type RunMetaFlags, runMetaOf } from '../run-meta-options.ts';
import { restartLoop } from './restart-loop.ts';
import { watchRun } from './watch.ts';

export interface StartFlags extends RunMetaFlags {
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
  progressEvery?: number;
  json?: boolean;
  /** issue 12: GPUs the run needs (one slot each, on distinct GPUs). */
  gpus?: number;
  /** Issue 17 (sys): --log-max, --sample-every, --no-sample (sample is false). */
  logMax?: number;
  sampleEvery?: number;
  sample?: boolean;
  // Issue 14
  timeLimit?: number;
  checkpointBefore?: number;
  checkpointSignal?: string;
  retries?: number;
  retryOnExit?: number[];
  retryOnOrphan?: boolean;
  retryBackoff?: number;
  autoResume?: boolean;
}

/** Issue 14: the restart policy the flags ask for, or undefined when none. */
function restartPolicyOf(flags: StartFlags) {
  const asked =
    flags.retries !== undefined ||
    flags.retryOnExit !== undefined ||
    flags.retryOnOrphan === true ||
    flags.autoResume === true;
  if (!asked) return undefined;
  if ((flags.retryOnExit !== undefined || flags.retryOnOrphan === true) && flags.retries === undefined)
    throw new RunwardenError(
      'RW_USAGE',
      '--retry-on-exit and --retry-on-orphan need --retries N: pass e.g. --retries 3',
    );
  return {
    max: flags.retries ?? 0,
    onExit: flags.retryOnExit ?? [],
    onOrphan: flags.retryOnOrphan === true,
    backoffMs: flags.retryBackoff ?? 10_000,
    autoResume: flags.autoResume === true,
  };
}

/**
 * The variables of repeated --env flags, as docker reads them: `KEY=VALUE` sets KEY, a bare `KEY`
 * passes the caller's KEY on, and a bare KEY the caller does not have is refused (RW_USAGE) rather
 * than set to an empty string.
 */
export function envOf(
  pairs: readonly string[],
  callerEnv: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const key = at < 0 ? pair : pair.slice(0, at);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new RunwardenError('RW_USAGE', `--env ${pair}: expected KEY=VALUE or KEY (a variable name)`);
    }
    if (at >= 0) {
      env[key] = pair.slice(at + 1);
      continue;
    }
    const inherited = callerEnv[key];
    if (inherited === undefined) {
      throw new RunwardenError(
        'RW_USAGE',
        `--env ${key}: ${key} is not set in this environment; pass --env ${key}=VALUE or export it first`,
      );
    }
    env[key] = inherited;
  }
  return env;
}

/** The job's working directory, checked to be a directory (RW_USAGE otherwise). */
function cwdOf(dir: string): string {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir)
    throw new RunwardenError('RW_USAGE', `--cwd ${dir}: no such directory; pass an existing directory`);
  return dir;
}

/** The library's start options from `start`'s (and `submit`'s) flags. */
export function startOptionsOf(argv: string[], flags: StartFlags): StartOptions & { gpus?: number } {
  const retention: Partial<RetentionPolicy> = {
    ...(flags.onFailure ? { failed: flags.onFailure } : {}),
    ...(flags.onAbort ? { aborted: flags.onAbort } : {}),
    ...(flags.onFinish ? { finished: flags.onFinish } : {}),
  };
  return {
    argv,
    ...(flags.name ? { name: flags.name } : {}),
    ...(flags.cwd ? { cwd: cwdOf(flags.cwd) } : {}),
    ...(flags.env ? { env: envOf(flags.env) } : {}),
    ...(flags.grace === undefined ? {} : { graceMs: flags.grace }),
    ...(flags.stallAfter === undefined ? {} : { stallAfterMs: flags.stallAfter }),
    ...(flags.abortOnStall ? { abortOnStall: true } : {}),
    retention,
    // issue 12: GPUs (one slot each, on distinct GPUs), all or nothing
    ...(flags.gpus === undefined ? {} : { gpus: flags.gpus }),
    ...(flags.logMax === undefined ? {} : { logMaxBytes: flags.logMax }),
    ...(flags.sample === false ? { sampleEveryMs: null } : {}),
    ...(flags.sample !== false && flags.sampleEvery !== undefined
      ? { sampleEveryMs: flags.sampleEvery }
      : {}),
    ...(flags.timeLimit === undefined ? {} : { timeLimitMs: flags.timeLimit }),
    ...(flags.checkpointBefore === undefined ? {} : { checkpointBeforeMs: flags.checkpointBefore }),
    ...(flags.checkpointSignal === undefined ? {} : { checkpointSignal: flags.checkpointSignal }),
    ...(restartPolicyOf(flags) === undefined ? {} : { retries: restartPolicyOf(flags) }),
    // issue 17: tags, note, params and what the run card captures
    ...runMetaOf(flags),
  };
}

/** Runs `start` (under --json a failure is printed as JSON by the CLI's one failure handler). */
export async function startCommand(ws: Workspace, argv: string[], flags: StartFlags): Promise<number> {
  const started = await ws.start(startOptionsOf(argv, flags));
  for (const note of started.recovered) notice(note);
  if (flags.json === true && flags.watch !== true) {
    printJson({ id: started.id, dir: started.dir, pid: started.pid });
    await cardsWritten();
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
  // The run card is written once its (bounded) capture ends: after the start was reported.
  if (flags.watch !== true) {
    await cardsWritten();
    return 0;
  }
  const watchOptions = {
    json: flags.json === true,
    ...(flags.progressEvery === undefined ? {} : { progressEveryMs: flags.progressEvery }),
  };
  // Issue 14: --retries / --auto-resume are carried out by the watching process.
  const code = await restartLoop(ws, started.id, await watchRun(ws, started.id, watchOptions), watchOptions);
  // A run quicker than its card: the card (bounded) still reaches the record before we exit.
  await cardsWritten();
  return code;
}
