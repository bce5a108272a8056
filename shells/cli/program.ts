// The `runwarden` command line: options validated here (commander parsers), each command's code
// loaded only when it runs so `status` stays light (no HTTP server, dashboard or inspector).
import { Command, CommanderError, Option } from 'commander';
import type { RecoveryNote } from '../api/index.ts';
import type { Workspace } from '../api/workspace.ts';
import {
  parseColumns,
  parseCount,
  parseDuration,
  parseExitCode,
  parseExitCodes,
  parseInspectUrl,
  parseOutcome,
  parseOutcomeList,
  parseParamFilter,
  parsePositiveInt,
  parsePriority,
  parseRetention,
  parseRunState,
  parseTimePoint,
} from './parse.ts';
import { parseByteSize, parseSize } from './parse-bytes.ts';
import { chooseRun } from './run-choice.ts';
import { addRunMetaOptions } from './run-meta-options.ts';
import { suggestCommand } from './suggest.ts';

/** Issue 14: start's restart options; a watching process (`start --watch`) carries them out. */
const restartOptionNames = [
  '--retries',
  '--retry-on-exit',
  '--retry-on-orphan',
  '--retry-backoff',
  '--auto-resume',
];

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

  const start = program
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
    // Issue 17 (sys): bounded logs and resource sampling.
    .option(
      '--log-max <size>',
      'cap each log at SIZE (e.g. 1G, 500M; at least 64K): keeps its first quarter and its newest part, a marker line counts what was dropped',
      parseByteSize,
    )
    .option(
      '--sample-every <duration>',
      "sample the job's CPU, memory, I/O and GPUs this often (default 10s)",
      parseDuration,
    )
    .option('--no-sample', 'do not sample resource use')
    .option('--json', 'print {"id","dir","pid"} as JSON (a failure as {"error":{"code","message"}})')
    .option(
      '--gpus <n>',
      'GPUs the run needs: one GPU slot each, on distinct GPUs, all or nothing (exit 3 when not free now)',
      parseCount,
    )
    .passThroughOptions()
    .action(async (argv: string[], flags) => {
      const { startCommand } = await import('./commands/start.ts');
      run(startCommand(await workspaceOf(program), argv, flags));
    });
  // Issue 17: --tag, --note, --param, --capture-packages, --card-env, --no-card (submit copies them).
  addRunMetaOptions(start);

  // issue 12: submit = start's options (but --watch/--json/--progress-every, and the restart options
  // that only a watching process carries out, issue 14) plus the queue's own.
  const submit = program
    .command('submit')
    .description(
      'start a run now if it fits and nothing eligible waits ahead of it, else queue it; returns at once',
    )
    .argument('<command...>', 'the program and its arguments (put them after --)');
  for (const option of start?.options ?? []) {
    const notOnSubmit = ['--watch', '--json', '--progress-every', '--gpus', ...restartOptionNames];
    if (!notOnSubmit.includes(option.long ?? '')) submit.addOption(option);
  }
  submit
    .option(
      '--gpus <n>',
      'GPUs the run needs: one GPU slot each, on distinct GPUs, all or nothing (it waits in the queue until free)',
      parseCount,
    )
    .option('--after <run>', 'wait until this run has ended, however (repeatable)', collect)
    .option(
      '--after-ok <run>',
      'wait until this run has finished; if it ends otherwise, this run fails (repeatable)',
      collect,
    )
    .option(
      '--priority <p>',
      'higher starts first, -1000..1000 (default 0); ties: first submitted first',
      parsePriority,
    )
    .option('--hold', 'queue it held: it starts only after runwarden queue release RUN')
    .option(
      '--json',
      'print {"id","state","position","slots"} (state: started, queued, or ended when an --after-ok run had already failed)',
    )
    .passThroughOptions()
    .action(async (argv: string[], flags) => {
      const { submitCommand } = await import('./commands/submit.ts');
      run(submitCommand(await workspaceOf(program), argv, flags));
    });

  const queue = program
    .command('queue')
    .description('the runs waiting to start: position, name, needs, what each waits for; and edits')
    .option('--json', 'print {"hold","entries"} (docs/queue.md)')
    .action(async (flags) => {
      const { queueListCommand } = await import('./commands/queue.ts');
      run(queueListCommand(await workspaceOf(program), flags));
    });
  const queueEdit = (
    name: 'pause' | 'resume' | 'rm' | 'move' | 'release' | 'hold',
    description: string,
    withRun: boolean,
  ) => {
    const command = queue.command(name).description(description);
    if (withRun) command.argument('<run>', 'a queued run id or unique prefix');
    command.option('--json', 'print the queue after the change as JSON');
    return command;
  };
  const edit =
    (name: 'pause' | 'resume' | 'rm' | 'move' | 'release' | 'hold') =>
    async (...args: unknown[]) => {
      const runArg = typeof args[0] === 'string' ? args[0] : undefined;
      const flags = (typeof args[0] === 'string' ? args[1] : args[0]) as {
        json?: boolean;
        priority?: number;
      };
      const { queueEditCommand } = await import('./commands/queue.ts');
      run(queueEditCommand(await workspaceOf(program), name, runArg, flags));
    };
  queueEdit('pause', 'start nothing more from the queue (running runs go on)', false).action(edit('pause'));
  queueEdit('resume', 'start queued runs again (also after a reboot held the queue)', false).action(
    edit('resume'),
  );
  queueEdit('rm', 'take a queued run out of the queue (recorded aborted, removed-from-queue)', true).action(
    edit('rm'),
  );
  queueEdit('move', "change a queued run's priority", true)
    .requiredOption('--priority <p>', 'the new priority, -1000..1000 (higher starts first)', parsePriority)
    .action(edit('move'));
  queueEdit('release', 'let a held run start in its turn', true).action(edit('release'));
  queueEdit('hold', 'keep a queued run from starting until released', true).action(edit('hold'));

  program
    .command('slots')
    .description("the workspace's slots (one run each) and who holds them; or configure them")
    .option(
      '--gpus',
      'one slot per GPU nvidia-smi lists (CUDA_VISIBLE_DEVICES=its UUID, CUDA_DEVICE_ORDER=PCI_BUS_ID)',
    )
    .option('--per-gpu <n>', 'with --gpus: N slots on each GPU (small jobs sharing a GPU)', parsePositiveInt)
    .option('--count <n>', 'N plain slots (no GPU)', parsePositiveInt)
    .option('--json', 'print the slots as JSON: [{"name","index","env","gpu","runId"}]')
    .action(async (flags) => {
      const { slotsCommand } = await import('./commands/slots.ts');
      run(slotsCommand(await workspaceOf(program), flags));
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
      run(chooseRun(ws, runArg, 'watch').then((runId) => watchCommand(ws, runId, flags)));
    });

  // Issue 17 (sys): the full-screen live view.
  program
    .command('top')
    .description(
      'full-screen live view: active runs (progress, phase, ETA, loss, CPU/RSS/GPU), the queue, the last ended runs; keys: up/down, enter follows a log, a aborts (asks first), c checkpoint, q quits',
    )
    .option('--refresh <duration>', 'how often the workspace is read (default 1s)', parseDuration)
    .action(async (flags) => {
      const { topCommand } = await import('./commands/top.ts');
      run(topCommand(await workspaceOf(program), flags));
    });

  program
    .command('abort')
    .description(
      'abort the active run (or RUN, live or queued): SIGINT, then SIGKILL after the grace; waits for the end',
    )
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
      run(abortCommand(ws, runArg, flags));
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
      const ws = await workspaceOf(program);
      run(chooseRun(ws, runArg, 'logs', 'latest').then((runId) => logsCommand(ws, runId, flags)));
    });

  program
    .command('list')
    .description('ended runs, newest first (--state active|queued: the running and waiting ones)')
    .option(
      '--json',
      'print an array of {"id","name","outcome","exitCode","signal","startedAt","endedAt","durationMs"} (with "tags","command","params","metrics" when the run has them)',
    )
    .option('-l, --limit <n>', 'at most N runs (default 50)', parsePositiveInt)
    .option(
      '-o, --outcome <outcome>',
      'only runs that ended so: finished, failed, aborted, orphaned (repeatable)',
      parseOutcome,
    )
    .option('-s, --state <state>', 'active, queued or ended runs (default ended; issue 12)', parseRunState)
    // Issue 17: filters and columns.
    .option('-t, --tag <tag>', 'only runs carrying this tag (repeatable: all of them)', collect)
    .option('--name <name>', 'only runs of this name (* wildcards)')
    .option('--command <text>', 'only runs whose command line contains this text')
    .option('--exit-code <code>', 'only runs that exited with this code (repeatable)', parseExitCode)
    .option(
      '--since <when>',
      'only runs started since: a duration ago (2d, 12h) or a date (2026-12-01)',
      (t: string) => parseTimePoint(t),
    )
    .option('--until <when>', 'only runs started before: a duration ago or a date', (t: string) =>
      parseTimePoint(t),
    )
    .option('-P, --param <name=value>', 'only runs with this param value (repeatable)', parseParamFilter)
    .option(
      '--columns <list>',
      'columns to show, e.g. id,outcome,duration,loss: id name outcome started ended duration exit tags command lineage, param.NAME, or a metric (its final value)',
      parseColumns,
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
    .option('--diff', 'print the uncommitted diff the run card kept (git diff HEAD, at most 1 MiB)')
    .action(async (runArg: string | undefined, flags) => {
      const { showCommand } = await import('./commands/show.ts');
      const ws = await workspaceOf(program);
      const { notice } = await import('./recovery-notes.ts');
      const notes = (list: readonly RecoveryNote[]) => {
        if (flags.json !== true) for (const note of list) notice(note);
      };
      run(chooseRun(ws, runArg, 'show', 'latest', notes).then((runId) => showCommand(ws, runId, flags)));
    });

  // Issue 17: labels of ended runs and comparing runs.
  program
    .command('tag')
    .description('add (+TAG) and remove (-TAG) tags of an ended run; without tags, print them')
    .argument('<run>', 'run id or unique prefix')
    .argument('[tags...]', '+TAG adds (a bare TAG too), -TAG removes, e.g. +best -draft')
    .option('--json', 'print {"id","tags"} as JSON')
    .allowUnknownOption()
    .action(async (runArg: string, words: string[], flags) => {
      const { tagCommand } = await import('./commands/tag.ts');
      run(tagCommand(await workspaceOf(program), runArg, words, flags));
    });

  program
    .command('note')
    .description("replace an ended run's note; without text, print it")
    .argument('<run>', 'run id or unique prefix')
    .argument('[text...]', 'the note (words are joined by spaces)')
    .option('--clear', 'remove the note')
    .option('--json', 'print {"id","note"} as JSON')
    .action(async (runArg: string, words: string[], flags) => {
      const { noteCommand } = await import('./commands/note.ts');
      run(noteCommand(await workspaceOf(program), runArg, words, flags));
    });

  program
    .command('compare')
    .description(
      'compare ended runs: each metric (last, min, max with steps), outcome, duration, params, config and git',
    )
    .argument('<runs...>', 'two or more run ids or unique prefixes')
    .option('-m, --metric <name>', 'only this metric (repeatable)', collect)
    .option('--json', 'print the comparison as JSON (the shape of GET /api/compare)')
    .action(async (runArgs: string[], flags) => {
      const { compareCommand } = await import('./commands/compare.ts');
      run(compareCommand(await workspaceOf(program), runArgs, flags));
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

  // Issue 12: the monitor's kick (hidden: people use submit/queue; this is what runs unattended).
  program
    .command('dispatch', { hidden: true })
    .description(
      'recover every slot and start what the queue can start (run by a job monitor once the job ends)',
    )
    .option('--workspace <dir>', 'the workspace (as the global -w)')
    .option('--json', 'print what was started, ended and restored')
    .action(async (flags: { workspace?: string; json?: boolean }) => {
      const { dispatchCommand } = await import('./commands/dispatch.ts');
      const { openWorkspace } = await import('../api/workspace.ts');
      run(dispatchCommand(openWorkspace(flags.workspace ?? program.opts().workspace), flags));
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
