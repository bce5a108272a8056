// `runwarden serve` started by the bench on a free loopback port and ended by its PID.
import { spawn } from 'node:child_process';
import { createServer, request } from 'node:http';
import { join } from 'node:path';
import { pollUntil } from './command.ts';
import { isAlive, killPid } from './proc.ts';

/** A running `runwarden serve`. */
export interface ServeProcess {
  pid: number;
  port: number;
  /** SIGTERM, SIGKILL after 5 s; resolves once it is gone. */
  stop(): Promise<void>;
}

/** A port free on 127.0.0.1 right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('bench: no free port');
  return address.port;
}

/** Whether GET /api/status answers 200. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/api/status', headers: { host: '127.0.0.1' } },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Starts `runwarden serve` over `workspace`; null when it did not answer within 15 s. */
export async function startServe(
  root: string,
  workspace: string,
  env: NodeJS.ProcessEnv,
): Promise<ServeProcess | null> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(root, 'shells/cli/bin.js'), 'serve', '--port', String(port)], {
    env: { ...env, RUNWARDEN_WORKSPACE: workspace },
    stdio: 'ignore',
  });
  const pid = child.pid;
  if (pid === undefined) return null;
  const stop = async () => {
    if (!isAlive(pid)) return;
    killPid(pid, 'SIGTERM');
    if ((await pollUntil(() => (isAlive(pid) ? null : true), 5_000, 20)) === null) killPid(pid, 'SIGKILL');
  };
  if ((await pollUntil(async () => ((await answers(port)) ? true : null), 15_000, 50)) === null) {
    await stop();
    return null;
  }
  return { pid, port, stop };
}
