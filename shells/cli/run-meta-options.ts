// The options that label a run and shape its card (issue 17), shared by `start` and `submit`:
// --tag (repeatable), --note, --param k=v (repeatable), --capture-packages, --card-env, --no-card.
import type { Command } from 'commander';
import { paramOf } from '../api/run-meta.ts';
import type { StartOptions } from '../api/workspace.ts';

/** The flags commander gives for these options. */
export interface RunMetaFlags {
  tag?: string[];
  note?: string;
  param?: string[];
  capturePackages?: boolean;
  cardEnv?: string[];
  /** False with --no-card. */
  card?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Add the run-labelling options to `command` (call before its action). */
export function addRunMetaOptions(command: Command): Command {
  return command
    .option(
      '-t, --tag <tag>',
      'label the run (repeatable); list --tag finds it, runwarden tag edits it',
      collect,
    )
    .option('--note <text>', 'a note shown by show (runwarden note edits it)')
    .option(
      '-P, --param <name=value>',
      'a parameter of the run (repeatable); list --param and compare show it',
      collect,
    )
    .option('--capture-packages', 'also record pip freeze / npm ls in the run card (bounded)')
    .option(
      '--card-env <pattern>',
      'also record environment variables matching this name pattern in the run card (repeatable; secret-looking names never are)',
      collect,
    )
    .option('--no-card', 'do not capture the run card (git, host, env, GPUs)');
}

/** The StartOptions fields of these flags (RW_USAGE for a malformed --param; tags are checked by the start). */
export function runMetaOf(
  flags: RunMetaFlags,
): Pick<StartOptions, 'tags' | 'note' | 'params' | 'capture' | 'card'> {
  const params: Record<string, string> = {};
  for (const pair of flags.param ?? []) {
    const [key, value] = paramOf(pair);
    params[key] = value;
  }
  const capture = {
    ...(flags.cardEnv === undefined ? {} : { env: flags.cardEnv }),
    ...(flags.capturePackages === true ? { packages: true } : {}),
  };
  return {
    ...(flags.tag === undefined ? {} : { tags: flags.tag }),
    ...(flags.note === undefined ? {} : { note: flags.note }),
    ...(Object.keys(params).length > 0 ? { params } : {}),
    ...(Object.keys(capture).length > 0 ? { capture } : {}),
    ...(flags.card === false ? { card: false } : {}),
  };
}
