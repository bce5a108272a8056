// Shared set-up of the HTTP tests: a temp workspace, the app built on it, inject() with a loopback
// Host, a fixture job, and cleanup that ends every job a test started (by PID) and checks it gone.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { type BuiltApp, buildApp } from '../../../shells/http/app.ts';
import type { AppOptions } from '../../../shells/http/options.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { activePids, alive, killAll } from '../cli/run-cli.ts';

/** The fixture training job: `node train.mjs steps intervalMs`. */
export const trainJob = fileURLToPath(new URL('./fixtures/train.mjs', import.meta.url));

/** Argv of the fixture job (the Node running the tests runs it too). */
export const trainArgv = (steps: number, intervalMs: number): string[] => [
  process.execPath,
  trainJob,
  String(steps),
  String(intervalMs),
];

/** A fresh workspace directory. */
export function tempWorkspace(): string {
  return join(mkdtempSync(join(tmpdir(), 'rw-http-')), 'runs');
}

/** A built app on a fresh workspace (token and limits as given). */
export function testApp(options: Partial<AppOptions> = {}): BuiltApp & { ws: string } {
  const ws = options.workspace ?? tempWorkspace();
  const built = buildApp({
    workspace: ws,
    token: null,
    allowedHosts: ['127.0.0.1', 'localhost'],
    progressPollMs: 50,
    pollMs: 50,
    ...options,
    // No wait after a wrong token unless a test asks for one (the rate-limit test does).
    limits: { loginDelayBaseMs: 0, ...options.limits },
  });
  return { ...built, ws };
}

/** inject() as a same-origin browser on 127.0.0.1 would send it (headers can be overridden). */
export function call(built: BuiltApp, options: InjectOptions): Promise<LightMyRequestResponse> {
  return built.app.inject({ ...options, headers: { host: '127.0.0.1:7077', ...options.headers } });
}

/** The error code of an error reply. */
export const codeOf = (res: LightMyRequestResponse): string =>
  (res.json() as { error?: { code?: string } }).error?.code ?? '';

/** SIGKILL whatever job the workspace's lock names and wait until it is gone. */
export async function killJobs(ws: string, also: readonly number[] = []): Promise<void> {
  const pids = [...activePids(ws), ...also];
  if (pids.length > 0) await killAll(pids);
  await waitFor(() => pids.every((p) => !alive(p)), { timeoutMs: 5_000, description: 'jobs gone' });
}
