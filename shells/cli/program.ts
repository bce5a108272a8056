// The `runwarden` command line: options validated here (commander parsers), each command's code
// loaded only when it runs so `status` stays light (no HTTP server, dashboard or inspector).
import { Command, CommanderError, Option } from 'commander';
import type { Workspace } from '../api/workspace.ts';
import {
  parseCount,
  parseDuration,
  parseExitCodes,
  parseInspectUrl,
  parseOutcome,
  parseOutcomeList,
  parsePositiveInt,
  parseRetention,
  parseSize,
} from './parse.ts';
import { suggestCommand } from './suggest.ts';

/** The workspace the global options name. */
async function workspaceOf(program: Command): Promise<Workspace> {
  const { openWorkspace } = await import('../api/workspace.ts');
  const dir: string | undefined = program.opts().workspace;
  return openWorkspace(dir);
}

/** `--progress-every`: how often `watch` prints a progress line when its output is not a terminal. */
function progressEveryOption(): Option {
  return new Option(
    '--progress-every <duration>',
    'when output is not a terminal (CI logs), a progress line at most this often',
  )
    .default(10_000, '10s')
    .argParser(parseDuration);
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Commander's error text as one line, with a suggestion for a mistyped command. */
function usageLine(text: string, program: Command): string {
  const message = text
    .replace(/^error: /, '')
    .replaceAll('\n', ' ')
    .trim();
  const unknown = /^unknown command '([^']*)'/.exec(message);
  const names = program.commands.map((c) => c.name());
  const meant = unknown === null ? null : suggestCommand(unknown[1] ?? '', names);
  const hint = meant === null ? 'see runwarden --help' : `did you mean: runwarden ${meant}?`;
  return `runwarden: ${message} (${hint})`;
}

/** Build the program; `run` receives each command's exit code. */
export function buildProgram(run: (code: Promise<number>) => void): Command {
  const program = new Command('runwarden')
    .description(
      'Supervise long-running jobs (ML training runs): start, watch, abort, and trust what it says.',
    )
    .version('0.1.0')
    .option('-w, --workspace <dir>', 'the workspace of runs (default: $RUNWARDEN_WORKSPACE or ./runs)')
    .option(
      '--inspect <ws-url>',
      'forward live state-machine inspection events to a WebSocket inspector, e.g. ws://127.0.0.1:8080 (also $RUNWARDEN_INSPECT)',
      parseInspectUrl,
    )
    .hook('preAction', (command) => {
      const url: string | undefined = command.opts().inspect;
      if (url !== undefined) process.env.RUNWARDEN_INSPECT = url;
    })
    .enablePositionalOptions()
    .exitOverride()
    .showSuggestionAfterError(false)
    .configureOutput({
      outputError: (text, write) => write(`${usageLine(text, program)}\n`),
    });

  program
    .command('start')
    .description('start a run; returns once the job is confirmed running')
    .argument('<command...>', 'the program and its arguments (put them after --)')
    .option('-n, --name <name>', 'a short name for the run (default: the program name)')
    .addOption(
      new Option('-g, --grace <duration>', 'time between SIGINT and SIGKILL on abort')
        .default(30_000, '30s')
        .argParser(parseDuration),
    )
    .option(
      '--on-failure <keep|delete>',
      "keep or delete a failed run's directory (default keep; runwarden prune deletes later)",
      parseRetention,
    )
    .option(
      '--on-abort <keep|delete>',
      "keep or delete an aborted run's directory (default keep; runwarden prune deletes later)",
      parseRetention,
    )
    .option(
      '--on-finish <keep|delete>',
      "keep or delete a finished run's directory (default keep)",
      parseRetention,
    )
    .option(
      '--stall-after <duration>',
      'call the run stalled after this long without output or events',
      parseDuration,
    )
    .option('--abort-on-stall', 'abort the run when it stalls')
    .option(
      '--time-limit <duration>',
      'abort the run this long after its job started (reason time-limit), even with no runwarden alive',
      parseDuration,
    )
    .option(
      '--checkpoint-before <duration>',
      'with --time-limit: ask the job to checkpoint and exit this long before the limit (Slurm --signal=USR1@300, locally)',
      parseDuration,
    )
    .option(
      '--checkpoint-signal <signal>',
      'the signal a checkpoint request sends the job (default USR1; NCCL jobs often pick USR2)',
    )
    .option(
      '--retries <n>',
      'with --watch: retry the run (a new run of its lineage, from its newest checkpoint) up to N times after an infrastructure failure (reboot, SIGKILL/OOM)',
      parseCount,
    )
    .option(
      '--retry-on-exit <codes>',
      'also retry these exit codes, e.g. 75,137 (needs --retries)',
      parseExitCodes,
    )
    .option('--retry-on-orphan', 'also retry any orphaned run (needs --retries)')
    .option(
      '--retry-backoff <duration>',
      'first wait before a retry, doubling each time (default 10s)',
      parseDuration,
    )
    .option('--auto-resume', 'with --watch: resume the run by itself when it ends suspended')
    .option('-C, --cwd <dir>', 'working directory of the job (default: the current one)')
    .option(
      '-e, --env <KEY=VALUE>',
      "extra environment variable for the job (repeatable); a bare KEY passes on the caller's KEY (refused when unset)",
      collect,
    )
    .option('--watch', "follow the run and exit with the job's exit code (130 after an abort)")
    .addOption(progressEveryOption())
    .option('--json', 'print {"id","dir","pid"} as JSON (a failure as {"error":{"code","message"}})')
    .passThroughOptions()
    .action(async (argv: string[], flags) => {
      const { startCommand } = await import('./commands/start.ts');
      run(startCommand(await workspaceOf(program), argv, flags));
    });

  program
    .command('status')
    .description('recover orphans and stale locks (saying why), then show the state of the workspace')
    .option('--json', 'print {"state","run","recovered","error"} as JSON (docs/cli.md#json)')
    .option('--series', "with --json: include the metrics' kept history (long)")
    .action(async (flags) => {
      const { statusCommand } = await import('./commands/status.ts');
      run(statusCommand(await workspaceOf(program), flags));
    });

  program
    .command('watch')
    .description('follow a run live; exits with its exit code; Ctrl-C leaves it running')
    .argument('[run]', 'run id or unique prefix (default: the active run)')
    .option('--json', 'print the status view as one JSON line every second (NDJSON), then the history record')
    .option('--series', "with --json: include the metrics' kept history in every line (long)")
    .addOption(progressEveryOption())
    .action(async (runArg: string | undefined, flags) => {
      const { watchCommand } = await import('./commands/watch.ts');
      const ws = await workspaceOf(program);
      run(watchCommand(ws, runArg === undefined ? undefined : ws.resolveRun(runArg, 'active'), flags));
    });

  program
    .command('abort')
    .description('abort the active run: SIGINT, then SIGKILL after the grace; waits for the end')
    .argument('[run]', 'run id or unique prefix (default: the active run)')
    .option('-f, --force', 'SIGKILL now')
    .option('-g, --grace <duration>', "override the run's grace for this abort", parseDuration)
    .option(
      '--checkpoint',
      'ask the job to checkpoint and exit first (it ends suspended); without an answer in --checkpoint-grace: SIGINT, grace, SIGKILL',
    )
    .option(
      '--checkpoint-grace <duration>',
      'with --checkpoint: how long the job has to save, ack and exit (default 10m)',
      parseDuration,
    )
    .option('--no-wait', 'return once the abort is under way')
    .option('--if-active', 'exit 0 when no run is active (default: exit 4, for scripts that must know)')
    .option('--json', 'print the history record (or the pending abort) as JSON')
    .action(async (runArg: string | undefined, flags) => {
      const { abortCommand } = await import('./commands/abort.ts');
      const ws = await workspaceOf(program);
      run(abortCommand(ws, runArg === undefined ? undefined : ws.resolveRun(runArg, 'active'), flags));
    });

  program
    .command('logs')
    .description("print a run's output (default: the active or latest run's stdout)")
    .argument('[run]', 'run id or unique prefix')
    .option('-f, --follow', 'keep printing new output until the run ends')
    .option('--stderr', 'stderr instead of stdout')
    .option('--all', 'stdout and stderr')
    .option('-t, --tail <lines>', 'only the last N lines', parsePositiveInt)
    .action(async (runArg: string | undefined, flags) => {
      const { logsCommand } = await import('./commands/logs.ts');
      run(logsCommand(await workspaceOf(program), runArg, flags));
    });

  program
    .command('list')
    .description('ended runs, newest first')
    .option(
      '--json',
      'print an array of {"id","name","outcome","exitCode","signal","startedAt","endedAt","durationMs"}',
    )
    .option('-l, --limit <n>', 'at most N runs (default 50)', parsePositiveInt)
    .option(
      '-o, --outcome <outcome>',
      'only runs that ended so: finished, failed, aborted, orphaned (repeatable)',
      parseOutcome,
    )
    .action(async (flags) => {
      const { listCommand } = await import('./commands/list.ts');
      run(listCommand(await workspaceOf(program), flags));
    });

  program
    .command('show')
    .description("an ended run's record: how it ended, its last progress and metrics, stderr tail")
    .argument('[run]', 'run id or unique prefix (default: the latest run)')
    .option('--json', 'print the whole history record as JSON')
    .option('--series', "with --json: include the metrics' kept history (long)")
    .action(async (runArg: string | undefined, flags) => {
      const { showCommand } = await import('./commands/show.ts');
      run(showCommand(await workspaceOf(program), runArg, flags));
    });

  program
    .command('inspect')
    .description("a run's lifecycle as a timeline of state transitions and the events that caused them")
    .argument('[run]', 'run id or unique prefix (default: the active or latest run)')
    .option('--json', 'print the journal entries as a JSON array')
    .action(async (runArg: string | undefined, flags) => {
      const { inspectCommand } = await import('./commands/inspect.ts');
      run(inspectCommand(await workspaceOf(program), runArg, flags));
    });

  program
    .command('helper')
    .description('print a job-side progress helper (stdlib only) to copy into a project')
    .argument('<language>', 'python (Node jobs: import { reporter } from "runwarden/job")')
    .option('--path', 'print where the helper file is instead of its contents')
    .action(async (language: string, flags) => {
      const { helperCommand } = await import('./commands/helper.ts');
      run(helperCommand(language, flags));
    });

  // Issue 14: a checkpoint while the run goes on.
  program
    .command('checkpoint')
    .description(
      'ask the running job for a checkpoint (control file + checkpoint signal); the run goes on (docs/protocol.md)',
    )
    .argument('[run]', 'run id or unique prefix (default: the active run)')
    .option('--wait', "wait for the job's checkpoint event answering the request")
    .option('--timeout <duration>', 'with --wait: give up after this long (default 10m)', parseDuration)
    .option('--json', 'print {"runId","request","checkpoint"}')
    .action(async (runArg: string | undefined, flags) => {
      const { checkpointCommand } = await import('./commands/checkpoint.ts');
      const ws = await workspaceOf(program);
      run(checkpointCommand(ws, runArg === undefined ? undefined : ws.resolveRun(runArg, 'active'), flags));
    });

  // Issue 14: resume.
  program
    .command('resume')
    .description(
      'start the next run of an ended run (same config, linked in the history) from its newest checkpoint on disk',
    )
    .argument('[run]', 'run id or unique prefix (default: the latest run)')
    .option('--watch', 'follow the new run (and carry out its --retries / --auto-resume)')
    .addOption(progressEveryOption())
    .option('--json', 'print {"id","dir","pid","parentId","lineageId","restartCount","resumeFrom"}')
    .action(async (runArg: string | undefined, flags) => {
      const { resumeCommand } = await import('./commands/resume.ts');
      run(resumeCommand(await workspaceOf(program), runArg, flags));
    });

  // Issue 14: pause / continue.
  program
    .command('pause')
    .description(
      "stop the running job's process group (SIGSTOP); it keeps its GPU memory; the stall timer stops",
    )
    .argument('[run]', 'run id or unique prefix (default: the active run)')
    .option('--json', 'print {"id","state"}')
    .action(async (runArg: string | undefined, flags) => {
      const { pauseCommand } = await import('./commands/pause.ts');
      const ws = await workspaceOf(program);
      run(pauseCommand(ws, runArg === undefined ? undefined : ws.resolveRun(runArg, 'active'), flags));
    });

  program
    .command('continue')
    .description('let a paused run go on (SIGCONT to its process group)')
    .argument('[run]', 'run id or unique prefix (default: the active run)')
    .option('--json', 'print {"id","state"}')
    .action(async (runArg: string | undefined, flags) => {
      const { continueCommand } = await import('./commands/pause.ts');
      const ws = await workspaceOf(program);
      run(continueCommand(ws, runArg === undefined ? undefined : ws.resolveRun(runArg, 'active'), flags));
    });

  // Issue 14: deleting ended runs' directories on purpose.
  program
    .command('prune')
    .description(
      "delete ended runs' directories by a policy, oldest ended first; never a live run or a resumable run's newest checkpoint; history records stay",
    )
    .option(
      '-o, --outcome <list>',
      'only runs that ended so: finished, failed, aborted, orphaned, suspended (comma-separated, repeatable)',
      parseOutcomeList,
    )
    .option('--older-than <duration>', 'only runs that ended at least this long ago, e.g. 7d', parseDuration)
    .option('--keep-last <n>', 'keep the newest N ended runs (of those --outcome names)', parseCount)
    .option(
      '--budget <size>',
      'delete only until run directories use at most this much, e.g. 50G (default: diskBudgetBytes in <workspace>/workspace.json)',
      parseSize,
    )
    .option('-n, --dry-run', 'print what would be deleted and freed; delete nothing')
    .option('--json', 'print {"dryRun","deleted","kept","freedBytes","usedBytesBefore","usedBytesAfter",...}')
    .action(async (flags) => {
      const { pruneCommand } = await import('./commands/prune.ts');
      run(pruneCommand(await workspaceOf(program), flags));
    });

  program
    .command('serve')
    .description(
      'serve the HTTP API and the live dashboard (127.0.0.1 by default; a token is always required)',
    )
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('-p, --port <port>', 'port to listen on (default 7077)', parsePositiveInt)
    .option(
      '--token <token>',
      'require this token, at least 16 characters (visible in ps: prefer $RUNWARDEN_TOKEN; default: $RUNWARDEN_TOKEN, else <workspace>/.serve-token, made 0600 on first serve)',
    )
    .option('--no-token', 'require no token (loopback only: then every local user can start runs as you)')
    .option('--allow-host <name>', 'also accept this Host header name (repeatable)', collect)
    .action(async (flags) => {
      const { serveCommand } = await import('./commands/serve.ts');
      const dir: string = program.opts().workspace ?? process.env.RUNWARDEN_WORKSPACE ?? 'runs';
      run(serveCommand(dir, flags));
    });

  return program;
}

/** A usage error from commander, as the exit code the CLI promises (2), or null for help/version. */
export function usageExit(error: CommanderError): number | null {
  if (
    error.code === 'commander.helpDisplayed' ||
    error.code === 'commander.version' ||
    error.code === 'commander.help'
  ) {
    return 0;
  }
  return 2;
}

export { CommanderError };
