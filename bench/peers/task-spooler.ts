// task-spooler (Debian's `tsp`) with a private TS_SOCKET and TMPDIR (16 slots so jobs run side by
// side): `tsp SCRIPT`, `tsp` for status, `tsp -w ID` to learn of the exit, `tsp -k ID` (SIGTERM
// to the job's group, no grace or escalation in tsp); the server ended by the pid that owns its
// socket (found via /proc).
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, pollUntil, run, runOk } from '../lib/command.ts';
import type { JobSpec } from '../lib/jobs.ts';
import { isAlive, killPid, procInfo, socketOwners } from '../lib/proc.ts';
import type { Peer, PeerContext } from './types.ts';

const BIN = '/usr/bin/tsp';

/** task-spooler with everything under the bench's temp dir. */
export class TaskSpoolerPeer implements Peer {
  readonly name = 'task-spooler';
  readonly role = 'peer';
  private readonly context: PeerContext;
  private readonly socket: string;
  private readonly ids = new Map<string, string>();

  constructor(context: PeerContext) {
    this.context = context;
    this.socket = join(context.dir, 'tsp.sock');
  }

  private tsp(args: string[]): Command {
    return {
      argv: [BIN, ...args],
      env: { ...this.context.env, TS_SOCKET: this.socket, TMPDIR: this.context.dir, TS_SLOTS: '16' },
    };
  }

  async setup(): Promise<string | null> {
    if (!existsSync(BIN)) return 'task-spooler not installed (apt-get install -y task-spooler)';
    const started = await run(this.tsp(['-S', '16']));
    return started.code === 0 ? null : `tsp did not start its server: ${started.stderr.trim()}`;
  }

  async define(): Promise<void> {}

  async start(job: JobSpec): Promise<void> {
    const ran = await runOk(this.tsp([job.script]));
    this.ids.set(job.name, ran.stdout.trim());
  }

  statusCommand(): Command {
    return this.tsp([]);
  }

  async waitExited(job: JobSpec, timeoutMs: number): Promise<bigint | null> {
    const ran = await run(this.tsp(['-w', this.ids.get(job.name) ?? '']), timeoutMs);
    return ran.code === null ? null : ran.endNs;
  }

  async stop(job: JobSpec): Promise<void> {
    await run(this.tsp(['-k', this.ids.get(job.name) ?? '']));
  }

  async reset(job: JobSpec): Promise<void> {
    const id = this.ids.get(job.name);
    if (id !== undefined) await run(this.tsp(['-r', id]));
    for (const name of readdirSync(this.context.dir)) {
      if (name.startsWith('ts-out.')) rmSync(join(this.context.dir, name), { force: true });
    }
  }

  /** The server: the processes holding its listening socket, which are tsp itself. */
  serverPids(): number[] {
    return socketOwners(this.socket).filter((pid) => procInfo(pid)?.comm === 'tsp');
  }

  async teardown(): Promise<number[]> {
    const killed: number[] = [];
    for (const pid of this.serverPids()) {
      killPid(pid, 'SIGTERM');
      if ((await pollUntil(() => (isAlive(pid) ? null : true), 5_000, 20)) === null) {
        killPid(pid, 'SIGKILL');
        killed.push(pid);
      }
    }
    return killed;
  }
}
