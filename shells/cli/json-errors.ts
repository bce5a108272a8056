// `--json` always prints a JSON object, errors included: how the CLI knows a command asked for
// JSON (its parsed options, or the raw argv when parsing itself failed) and what it prints then.
import type { Command } from 'commander';
import { printJson } from './output.ts';

let requested = false;

/** Remember, before each action runs, whether the command asked for JSON (its own --json). */
export function trackJsonFlag(program: Command): void {
  program.hook('preAction', (_program, action) => {
    requested = action.opts().json === true;
  });
}

/** Whether output must be JSON: the parsed --json, or a --json before `--` when parsing failed. */
export function jsonRequested(argv: readonly string[] = process.argv.slice(2)): boolean {
  if (requested) return true;
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/** The JSON a failed `--json` command prints on stdout (its one-line message goes to stderr too). */
export interface JsonFailure {
  readonly error: { readonly code: string; readonly message: string };
  readonly exitCode: number;
}

/** Print a failure as the one JSON object of a `--json` command. */
export function printJsonFailure(code: string, message: string, exitCode: number): void {
  const failure: JsonFailure = { error: { code, message }, exitCode };
  printJson(failure);
}
