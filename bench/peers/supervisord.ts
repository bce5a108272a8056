// supervisord (Debian's `supervisor`) with a private config, socket and pidfile: one program
// section per job (autostart off, startsecs 0, stopsignal INT, stopwaitsecs = the grace, signals
// to the group), `supervisorctl start|status|stop`; the daemon ended by the pid in its pidfile.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, nowNs, pollUntil, run, runOk } from '../lib/command.ts';
import type { JobSpec } from '../lib/jobs.ts';
import { isAlive, killPid } from '../lib/proc.ts';
import type { Peer, PeerContext } from './types.ts';

const BIN = '/usr/bin/supervisord';
const CTL = '/usr/bin/supervisorctl';

/** supervisord 4 with everything under the bench's temp dir. */
export class SupervisordPeer implements Peer {
  readonly name = 'supervisord';
  readonly role = 'peer';
  private readonly context: PeerContext;
  private readonly conf: string;
  private readonly pidFile: string;

  constructor(context: PeerContext) {
    this.context = context;
    this.conf = join(context.dir, 'supervisord.conf');
    this.pidFile = join(context.dir, 'supervisord.pid');
  }

  private ctl(args: string[]): Command {
    return { argv: [CTL, '-c', this.conf, ...args], env: this.context.env };
  }

  async setup(): Promise<string | null> {
    if (!existsSync(BIN) || !existsSync(CTL)) {
      return 'supervisord not installed (apt-get install -y supervisor)';
    }
    const dir = this.context.dir;
    mkdirSync(join(dir, 'programs'), { recursive: true });
    writeFileSync(
      this.conf,
      [
        '[unix_http_server]',
        `file=${join(dir, 'supervisor.sock')}`,
        '[supervisord]',
        `logfile=${join(dir, 'supervisord.log')}`,
        `pidfile=${this.pidFile}`,
        `childlogdir=${dir}`,
        'user=root',
        '[rpcinterface:supervisor]',
        'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface',
        '[supervisorctl]',
        `serverurl=unix://${join(dir, 'supervisor.sock')}`,
        '[include]',
        `files = ${join(dir, 'programs')}/*.conf`,
        '',
      ].join('\n'),
    );
    const started = await run({ argv: [BIN, '-c', this.conf], env: this.context.env });
    if (started.code !== 0) return `supervisord did not start: ${started.stderr.trim()}`;
    const up = await pollUntil(
      async () => ((await run(this.ctl(['pid']))).code === 0 ? true : null),
      10_000,
      50,
    );
    return up ? null : 'supervisord did not answer within 10 s';
  }

  async define(job: JobSpec): Promise<void> {
    const log = (stream: string) => join(this.context.dir, `${job.name}.${stream}`);
    writeFileSync(
      join(this.context.dir, 'programs', `${job.name}.conf`),
      [
        `[program:${job.name}]`,
        `command=${job.script}`,
        'autostart=false',
        'autorestart=false',
        'startsecs=0',
        'startretries=0',
        'stopsignal=INT',
        `stopwaitsecs=${Math.max(1, Math.round(job.graceMs / 1000))}`,
        'stopasgroup=true',
        'killasgroup=true',
        `stdout_logfile=${log('out')}`,
        'stdout_logfile_maxbytes=0',
        `stderr_logfile=${log('err')}`,
        'stderr_logfile_maxbytes=0',
        '',
      ].join('\n'),
    );
    await runOk(this.ctl(['update']));
  }

  async start(job: JobSpec): Promise<void> {
    await runOk(this.ctl(['start', job.name]));
  }

  statusCommand(): Command {
    return this.ctl(['status']);
  }

  async waitExited(job: JobSpec, timeoutMs: number): Promise<bigint | null> {
    return pollUntil(
      async () => {
        const ran = await run(this.ctl(['status', job.name]));
        return /\b(EXITED|STOPPED|FATAL)\b/.test(ran.stdout) ? nowNs() : null;
      },
      timeoutMs,
      0,
    );
  }

  async stop(job: JobSpec): Promise<void> {
    await run(this.ctl(['stop', job.name]), job.graceMs + 10_000);
  }

  async reset(job: JobSpec): Promise<void> {
    await run(this.ctl(['clear', job.name]));
  }

  /** The daemon's pid from its pidfile. */
  daemonPid(): number | null {
    try {
      const pid = Number(readFileSync(this.pidFile, 'utf8').trim());
      return pid > 1 ? pid : null;
    } catch {
      return null;
    }
  }

  async teardown(): Promise<number[]> {
    const pid = this.daemonPid();
    if (pid === null || !isAlive(pid)) return [];
    killPid(pid, 'SIGTERM');
    if ((await pollUntil(() => (isAlive(pid) ? null : true), 10_000, 20)) !== null) return [];
    killPid(pid, 'SIGKILL');
    return [pid];
  }
}
