// pm2 (from bench/peers, installed on demand with `npm ci --prefix bench/peers`) with a private
// PM2_HOME: `pm2 start SCRIPT --interpreter none --no-autorestart --kill-timeout GRACE`,
// `pm2 ls`, `pm2 jlist` polled for the exit, `pm2 stop`; its God daemon ended by the pid in
// PM2_HOME/pm2.pid.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, nowNs, pollUntil, run, runOk } from '../lib/command.ts';
import type { JobSpec } from '../lib/jobs.ts';
import { isAlive, killPid } from '../lib/proc.ts';
import type { Peer, PeerContext } from './types.ts';

/** One entry of `pm2 jlist` (the fields read here). */
interface Pm2Process {
  name: string;
  pm2_env: { status: string };
}

/** pm2 7 with a private PM2_HOME. */
export class Pm2Peer implements Peer {
  readonly name = 'pm2';
  readonly role = 'peer';
  private readonly context: PeerContext;
  private readonly home: string;
  private readonly bin: string;

  constructor(context: PeerContext) {
    this.context = context;
    this.home = join(context.dir, 'pm2-home');
    this.bin = join(context.root, 'bench/peers/node_modules/pm2/bin/pm2');
  }

  private pm2(args: string[]): Command {
    return {
      argv: [process.execPath, this.bin, ...args],
      env: { ...this.context.env, PM2_HOME: this.home, PM2_DISCRETE_MODE: 'true' },
    };
  }

  async setup(): Promise<string | null> {
    if (!existsSync(this.bin)) {
      const prefix = join(this.context.root, 'bench/peers');
      const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
      const installed = await run(
        { argv: [npm, 'ci', '--prefix', prefix, '--no-audit', '--no-fund'], env: process.env },
        180_000,
      );
      if (installed.code !== 0 || !existsSync(this.bin)) {
        return `npm ci --prefix bench/peers failed (exit ${installed.code}): ${installed.stderr.trim().split('\n').slice(-2).join(' ')}`;
      }
    }
    const ping = await run(this.pm2(['ping']), 30_000);
    return ping.code === 0 ? null : `pm2 ping failed: ${ping.stderr.trim()}`;
  }

  async define(): Promise<void> {}

  async start(job: JobSpec): Promise<void> {
    await runOk(
      this.pm2([
        'start',
        job.script,
        '--name',
        job.name,
        '--interpreter',
        'none',
        '--no-autorestart',
        '--kill-timeout',
        String(job.graceMs),
      ]),
    );
  }

  statusCommand(): Command {
    return this.pm2(['ls']);
  }

  /** The status pm2 reports for `name` (null when unknown). */
  private async statusOf(name: string): Promise<string | null> {
    const ran = await run(this.pm2(['jlist']));
    try {
      const list = JSON.parse(ran.stdout.slice(ran.stdout.indexOf('['))) as Pm2Process[];
      return list.find((p) => p.name === name)?.pm2_env.status ?? null;
    } catch {
      return null;
    }
  }

  async waitExited(job: JobSpec, timeoutMs: number): Promise<bigint | null> {
    return pollUntil(
      async () => {
        const status = await this.statusOf(job.name);
        return status === 'stopped' || status === 'errored' ? nowNs() : null;
      },
      timeoutMs,
      0,
    );
  }

  async stop(job: JobSpec): Promise<void> {
    await run(this.pm2(['stop', job.name]), job.graceMs + 10_000);
  }

  async reset(job: JobSpec): Promise<void> {
    await run(this.pm2(['delete', job.name]));
    for (const stream of ['out', 'error']) {
      rmSync(join(this.home, 'logs', `${job.name}-${stream}.log`), { force: true });
    }
  }

  /** The God daemon's pid from PM2_HOME/pm2.pid. */
  daemonPid(): number | null {
    try {
      const pid = Number(readFileSync(join(this.home, 'pm2.pid'), 'utf8').trim());
      return pid > 1 ? pid : null;
    } catch {
      return null;
    }
  }

  async teardown(): Promise<number[]> {
    const pid = this.daemonPid();
    if (pid === null || !isAlive(pid)) return [];
    killPid(pid, 'SIGTERM');
    if ((await pollUntil(() => (isAlive(pid) ? null : true), 5_000, 20)) !== null) return [];
    killPid(pid, 'SIGKILL');
    return [pid];
  }
}
