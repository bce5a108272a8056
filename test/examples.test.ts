// Proves the two examples in examples/ run as their README says: the Python training script under
// the CLI reports progress, a metric and a checkpoint through the helper; the Node service embeds
// the workspace and its one route starts that script and reports the status until the run ends.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openWorkspace } from '../shells/api/index.ts';
import { waitFor } from './helpers/wait-for.ts';
import { alive, repoRoot, runCli, useWorkspaces } from './shells/cli/run-cli.ts';

const { workspace } = useWorkspaces();
const python = spawnSync('python3', ['--version']).status === 0;
let server: ChildProcess | null = null;

afterEach(async () => {
  const pid = server?.pid;
  if (server !== null && pid !== undefined && server.exitCode === null) server.kill('SIGKILL');
  server = null;
  if (pid !== undefined)
    await waitFor(() => !alive(pid), { timeoutMs: 10_000, description: `the service (pid ${pid}) to end` });
});

describe('examples/', () => {
  it.skipIf(!python)(
    'python-training/train.py reports progress, loss and a checkpoint (skipped without python3)',
    async () => {
      const ws = workspace();
      const started = await runCli(
        ws,
        [
          'start',
          '--watch',
          '--',
          'python3',
          join(repoRoot, 'examples/python-training/train.py'),
          '--steps',
          '5',
        ],
        { env: { RUNWARDEN_REPORTER_DIR: join(repoRoot, 'shells/job') }, timeoutMs: 60_000 },
      );
      expect({ code: started.code, stderr: started.stderr }).toEqual({ code: 0, stderr: '' });
      const record = openWorkspace(ws).show();
      expect(record.outcome).toBe('finished');
      // Entering the save phase starts its own count: the train phase's steps are behind it.
      expect(record.progress?.phase).toBe('save');
      expect(record.progress?.metrics.loss).toBeCloseTo(2 * Math.exp(-5 / 8), 4);
      expect(record.progress?.lastCheckpoint).toEqual({ path: 'model-final.ckpt', step: 5 });
    },
  );

  it.skipIf(!python)(
    'node-service/server.mjs starts a run on POST /training and reports it on GET (skipped without python3)',
    async () => {
      const ws = workspace();
      const child = spawn(process.execPath, [join(repoRoot, 'examples/node-service/server.mjs'), '0'], {
        cwd: repoRoot,
        env: { ...process.env, RUNWARDEN_WORKSPACE: ws },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      server = child;
      let out = '';
      let err = '';
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
      });
      child.stderr?.on('data', (d: Buffer) => {
        err += d.toString();
      });
      const url = await waitFor(() => /listening on (\S+)/.exec(out)?.[1], {
        timeoutMs: 20_000,
        description: `the service to listen (stderr: ${err})`,
      });
      const started = await fetch(url, { method: 'POST' });
      expect(started.status).toBe(201);
      const { id } = (await started.json()) as { id: string };
      const again = await fetch(url, { method: 'POST' });
      expect({
        status: again.status,
        code: ((await again.json()) as { error: { code: string } }).error.code,
      }).toEqual({
        status: 409,
        code: 'RW_CONFLICT',
      });
      await waitFor(async () => ((await (await fetch(url)).json()) as { state: string }).state === 'idle', {
        timeoutMs: 60_000,
        intervalMs: 100,
        description: `run ${id} to end as the service reports it`,
      });
      expect(openWorkspace(ws).show(id)).toMatchObject({
        outcome: 'finished',
        progress: { phase: 'save', lastCheckpoint: { path: 'model-final.ckpt', step: 10 } },
      });
      expect((await fetch(url.replace('/training', '/other'))).status).toBe(404);
      child.kill('SIGTERM');
      await waitFor(() => child.exitCode !== null, {
        timeoutMs: 10_000,
        description: 'the service to exit on SIGTERM',
      });
      expect(child.exitCode).toBe(0);
    },
  );
});
