// runwarden driven through its built CLI (`node shells/cli/bin.js`), one workspace per job so
// jobs may run side by side; no daemon: each job's rw-monitor ends with the job.
import { join } from 'node:path';
import { type Command, run, runOk } from '../lib/command.ts';
import type { JobSpec } from '../lib/jobs.ts';
import type { Peer, PeerContext } from './types.ts';

/** A complete `watch --json` line past the live run: a status that left it, or the history record. */
function reportsExit(line: string): boolean {
  if (!line.startsWith('{') || !line.endsWith('}')) return false;
  try {
    const value = JSON.parse(line) as { state?: unknown; runId?: unknown; outcome?: unknown };
    if (typeof value.runId === 'string' && typeof value.outcome === 'string') return true;
    return value.state === 'finalizing' || value.state === 'idle' || value.state === 'halted';
  } catch {
    return false;
  }
}

/** runwarden as a peer: `start`, `status`, `watch` (to learn of the exit), `abort`. */
export class RunwardenPeer implements Peer {
  readonly name = 'runwarden';
  readonly role = 'subject';
  readonly context: PeerContext;

  constructor(context: PeerContext) {
    this.context = context;
  }

  /** The workspace `job` runs in. */
  workspaceOf(job: JobSpec): string {
    return join(this.context.dir, `ws-${job.name}`);
  }

  /** `runwarden ARGS…` in `job`'s workspace. */
  cli(job: JobSpec, args: string[]): Command {
    return this.cliIn(this.workspaceOf(job), args);
  }

  /** `runwarden ARGS…` in `workspace`. */
  cliIn(workspace: string, args: string[]): Command {
    return {
      argv: [process.execPath, join(this.context.root, 'shells/cli/bin.js'), ...args],
      env: { ...this.context.env, RUNWARDEN_WORKSPACE: workspace, NO_COLOR: '1' },
    };
  }

  async setup(): Promise<string | null> {
    const help = await run(this.cliIn(join(this.context.dir, 'ws-probe'), ['--version']));
    return help.code === 0 ? null : `the CLI does not run (npm run build?): ${help.stderr.trim()}`;
  }

  async define(): Promise<void> {}

  async start(job: JobSpec): Promise<void> {
    const grace = `${job.graceMs}ms`;
    await runOk(this.cli(job, ['start', '--grace', grace, '--on-finish', 'delete', '--', job.script]));
  }

  statusCommand(job: JobSpec): Command {
    return this.cli(job, ['status']);
  }

  /**
   * When `watch --json` reported the exit: its first line past the live run (state finalizing,
   * idle or halted, or the history record). watch prints it as soon as the machine read the exit
   * record, then records the end (claim, record, retention) before it exits; the peers' tools
   * report by exiting, so for them the two moments are one.
   */
  async waitExited(job: JobSpec, timeoutMs: number): Promise<bigint | null> {
    let reportedNs: bigint | null = null;
    const ran = await run(this.cli(job, ['watch', '--json']), timeoutMs, (text, atNs) => {
      if (reportedNs === null && text.split('\n').some(reportsExit)) reportedNs = atNs;
    });
    return ran.code === null ? null : (reportedNs ?? ran.endNs);
  }

  async stop(job: JobSpec): Promise<void> {
    await run(this.cli(job, ['abort']), job.graceMs + 10_000);
  }

  async reset(): Promise<void> {
    // Nothing to forget: a finished run's directory is deleted (--on-finish delete) and its
    // history record is what a user keeps.
  }

  async teardown(): Promise<number[]> {
    return [];
  }
}
