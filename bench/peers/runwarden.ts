// runwarden driven through its built CLI (`node shells/cli/bin.js`), one workspace per job so
// jobs may run side by side; no daemon: each job's rw-monitor ends with the job.
import { join } from 'node:path';
import { type Command, run, runOk } from '../lib/command.ts';
import type { JobSpec } from '../lib/jobs.ts';
import type { Peer, PeerContext } from './types.ts';

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

  async waitExited(job: JobSpec, timeoutMs: number): Promise<bigint | null> {
    const ran = await run(this.cli(job, ['watch']), timeoutMs);
    return ran.code === null ? null : ran.endNs;
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
