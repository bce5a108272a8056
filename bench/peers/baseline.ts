// The plain baseline: `setsid nohup sh -c 'JOB; echo $? > exit' > log 2>&1 & echo $!` — the pid
// from $!, an exit-code file, `ps -p PID` for status, and stop as a user would script it: SIGTERM
// to the group (a background job of a non-interactive sh starts with SIGINT ignored), SIGKILL
// after the grace.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, nowNs, pollUntil, runOk } from '../lib/command.ts';
import type { JobSpec } from '../lib/jobs.ts';
import { groupMembers, killGroup } from '../lib/proc.ts';
import type { Peer, PeerContext } from './types.ts';

/** `setsid nohup … &` with $! recorded and an exit-code file. */
export class BaselinePeer implements Peer {
  readonly name = 'setsid nohup (baseline)';
  readonly role = 'baseline';
  private readonly context: PeerContext;
  private readonly pids = new Map<string, number>();

  constructor(context: PeerContext) {
    this.context = context;
  }

  private exitFile(job: JobSpec): string {
    return join(this.context.dir, `${job.name}.exit`);
  }

  async setup(): Promise<string | null> {
    return null;
  }

  async define(): Promise<void> {}

  async start(job: JobSpec): Promise<void> {
    const log = join(this.context.dir, `${job.name}.log`);
    rmSync(this.exitFile(job), { force: true });
    // The recorder traps TERM/HUP (a handler, not an ignore) so it outlives a stop and records.
    const line = `setsid nohup sh -c 'trap : TERM HUP; "$0"; echo $? > "$1"' '${job.script}' '${this.exitFile(job)}' > '${log}' 2>&1 & echo $!`;
    const ran = await runOk({ argv: ['sh', '-c', line], env: this.context.env });
    this.pids.set(job.name, Number(ran.stdout.trim()));
  }

  statusCommand(job: JobSpec): Command {
    return { argv: ['ps', '-p', String(this.pids.get(job.name) ?? 0)], env: this.context.env };
  }

  async waitExited(job: JobSpec, timeoutMs: number): Promise<bigint | null> {
    const file = this.exitFile(job);
    return pollUntil(
      () => (existsSync(file) && readFileSync(file, 'utf8').endsWith('\n') ? nowNs() : null),
      timeoutMs,
      1,
    );
  }

  async stop(job: JobSpec): Promise<void> {
    const pgid = this.pids.get(job.name) ?? 0;
    killGroup(pgid, 'SIGTERM');
    const gone = await pollUntil(() => (!this.jobAlive(pgid) ? true : null), job.graceMs, 5);
    if (gone === null) killGroup(pgid, 'SIGKILL');
  }

  /** Whether anything but the recorder (the group leader) is left in the group. */
  private jobAlive(pgid: number): boolean {
    return groupMembers(pgid).some((pid) => pid !== pgid);
  }

  async reset(job: JobSpec): Promise<void> {
    rmSync(join(this.context.dir, `${job.name}.log`), { force: true });
  }

  async teardown(): Promise<number[]> {
    return [];
  }
}
