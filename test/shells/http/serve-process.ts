// Runs `runwarden serve` as a real process (the bundled CLI, as users get it) on a free port, and
// ends it by PID.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { waitFor } from '../../helpers/wait-for.ts';
import { alive, binPath, repoRoot } from '../cli/run-cli.ts';

/** A running `runwarden serve`. */
export interface ServeProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  /** The token the server printed (its workspace's token file), or null with --no-token. */
  readonly token: string | null;
  /** The dashboard URL with `#token=…`, as printed: opening it logs the browser in. */
  readonly dashboardUrl: string;
  /** Headers that authenticate a fetch against this server. */
  readonly auth: Record<string, string>;
  output(): string;
  /** SIGTERM, then SIGKILL if it lingers; resolves once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** A port that was free a moment ago (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Start `runwarden serve` on `port` for workspace `ws`; resolves once it listens. */
export async function startServe(
  ws: string,
  port: number,
  args: readonly string[] = [],
): Promise<ServeProcess> {
  const child = spawn(process.execPath, [binPath, 'serve', '--port', String(port), ...args], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: '1', RUNWARDEN_WORKSPACE: ws, RUNWARDEN_TOKEN: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const pid = child.pid ?? -1;
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (alive(pid)) child.kill(signal);
    try {
      await waitFor(() => !alive(pid), { timeoutMs: 5_000, description: `serve ${pid} to exit` });
    } catch {
      child.kill('SIGKILL');
      await waitFor(() => !alive(pid), { timeoutMs: 5_000, description: `serve ${pid} to die` });
    }
  };
  try {
    await waitFor(() => output.includes('serving') || child.exitCode !== null, {
      timeoutMs: 20_000,
      description: 'runwarden serve to listen',
    });
  } catch (error) {
    await stop('SIGKILL');
    throw error;
  }
  if (child.exitCode !== null) throw new Error(`runwarden serve exited ${child.exitCode}: ${output}`);
  const url = `http://127.0.0.1:${port}/`;
  const token = /#token=([A-Za-z0-9_-]{16,})/.exec(output)?.[1] ?? null;
  return {
    child,
    pid,
    port,
    url,
    token,
    dashboardUrl: token === null ? url : `${url}#token=${token}`,
    auth: token === null ? {} : { authorization: `Bearer ${token}` },
    output: () => output,
    stop,
  };
}
