// Proves resource sampling end to end through the CLI (issue 17): a run started with
// --sample-every gets sys/* metrics from its monitor with nobody watching (status shows the
// resource line), a `watch` adds its GPUs — with the fixture nvidia-smi first on PATH (no GPU
// here; test/fixtures/bin/nvidia-smi prints the real tool's CSV: two recorded A100s) — and
// --no-sample samples nothing. Bad --sample-every: one line, exit 2.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/wait-for.ts';
import { binPath, repoRoot, runCli, useWorkspaces } from './run-cli.ts';

const workspaces = useWorkspaces();
const fixtureBin = fileURLToPath(new URL('../../fixtures/bin/', import.meta.url));
const sleeper = ['python3', '-c', 'import time\nx = bytearray(50 * 1024 * 1024)\ntime.sleep(60)'];

type StatusJson = { run: { progress: { metrics: Record<string, number> } | null } | null };

describe('resource sampling through the CLI', () => {
  it('samples a run nobody watches; a watcher adds its GPUs; status prints the resource line', async () => {
    const ws = workspaces.workspace();
    const started = await runCli(ws, ['start', '--json', '--sample-every', '200ms', '--', ...sleeper]);
    expect(started.code, started.stderr).toBe(0);
    workspaces.track((JSON.parse(started.stdout) as { pid: number }).pid);
    const metricsNow = async () =>
      (JSON.parse((await runCli(ws, ['status', '--json'])).stdout) as StatusJson).run?.progress?.metrics ??
      {};
    const before = await waitFor(
      async () => ((await metricsNow())['sys/rss'] ?? 0) > 50 * 1024 * 1024 || null,
      {
        timeoutMs: 30_000,
        intervalMs: 300,
        description: 'sys/rss of the job above 50 MiB',
      },
    );
    expect(before).toBe(true);
    expect(await metricsNow()).not.toHaveProperty('sys/gpu0/util');
    const status = await runCli(ws, ['status']);
    expect(status.stdout).toMatch(/cpu \d+%\s+rss \d+(\.\d)? MiB\s+threads \d+/);

    // A watcher with the fixture nvidia-smi on PATH samples the job's GPUs (all: no CUDA_VISIBLE_DEVICES).
    const watcher = spawn(process.execPath, [binPath, 'watch'], {
      cwd: repoRoot,
      env: {
        ...process.env,
        PATH: `${fixtureBin}:${process.env.PATH}`,
        RUNWARDEN_WORKSPACE: ws,
        NO_COLOR: '1',
      },
      stdio: 'ignore',
    });
    if (watcher.pid !== undefined) workspaces.track(watcher.pid);
    const metrics = await waitFor(
      async () => {
        const m = await metricsNow();
        return m['sys/gpu1/power'] === undefined ? null : m;
      },
      { timeoutMs: 40_000, intervalMs: 500, description: 'GPU samples from the watcher' },
    );
    expect(metrics['sys/gpu0/mem_total']).toBe(81920 * 1024 * 1024);
    expect(metrics['sys/gpu0/util']).toBe(0);
    expect((await runCli(ws, ['status'])).stdout).toMatch(
      /gpu0 0% 4\.0 MiB\/80 GiB 62 W\s+gpu1 0% 4\.0 MiB\/80 GiB 60 W/,
    );
    watcher.kill('SIGKILL');
  }, 120_000);

  it('samples nothing with --no-sample, and refuses a bad --sample-every with exit 2', async () => {
    const ws = workspaces.workspace();
    const started = await runCli(ws, ['start', '--json', '--no-sample', '--', 'true']);
    expect(started.code, started.stderr).toBe(0);
    const { dir } = JSON.parse(started.stdout) as { dir: string };
    expect(existsSync(join(dir, 'sample-every-ms'))).toBe(false);
    const bad = await runCli(ws, ['start', '--sample-every', '10ms', '--', 'true']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('--sample-every 10ms');
  });
});
