// Issue 14 with real processes: train-like Python and Node jobs (test/fixtures/jobs/train_ckpt.py,
// train-ckpt.mjs, using the shipped helpers) checkpoint on request while the run goes on, and on
// `abort --checkpoint` save, ack and exit: the run ends suspended naming the checkpoint; a job that
// ignores requests is aborted only at the deadline; `--time-limit --checkpoint-before` suspends a
// run with no runwarden process alive (the monitor's clock); bad input exits 2.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/wait-for.ts';
import { repoRoot, runCli, useWorkspaces } from './run-cli.ts';

const { workspace } = useWorkspaces();
const pyJob = join(repoRoot, 'test/fixtures/jobs/train_ckpt.py');
const nodeJob = join(repoRoot, 'test/fixtures/jobs/train-ckpt.mjs');
const env = {
  RW_HELPER_DIR: join(repoRoot, 'shells/job'),
  RW_REPORTER: join(repoRoot, 'shells/job/reporter.ts'),
};

interface Started {
  id: string;
  dir: string;
}

async function start(ws: string, job: string[], extra: string[] = []): Promise<Started> {
  const started = await runCli(ws, ['start', '--json', ...extra, '--', ...job], { env });
  expect(started.stderr).toBe('');
  expect(started.code).toBe(0);
  return JSON.parse(started.stdout) as Started;
}

/** The highest "step N" the job printed so far. */
function lastStep(dir: string): number {
  const out = existsSync(join(dir, 'stdout.log')) ? readFileSync(join(dir, 'stdout.log'), 'utf8') : '';
  const steps = [...out.matchAll(/^step (\d+)$/gm)].map((m) => Number(m[1]));
  return steps.at(-1) ?? 0;
}

async function reachStep(dir: string, step: number): Promise<void> {
  await waitFor(() => lastStep(dir) >= step, { timeoutMs: 30_000, description: `step ${step} in ${dir}` });
}

const show = async (ws: string, id: string) =>
  JSON.parse((await runCli(ws, ['show', id, '--json'])).stdout) as {
    outcome: string;
    reason: string | null;
    checkpoint?: { path: string; step: number | null; request: number | null };
    endedAt: number;
  };

describe('checkpoint requests with real jobs', () => {
  it('a Python job checkpoints on request and goes on, then checkpoints and exits: suspended', async () => {
    const ws = workspace();
    const out = mkdtempSync(join(tmpdir(), 'rw-ckpt-'));
    const run = await start(ws, ['python3', pyJob, out, '100000', '50']);
    await reachStep(run.dir, 3);

    const asked = await runCli(ws, ['checkpoint', '--wait', '--timeout', '30s', '--json'], { env });
    expect(asked.stderr).toBe('');
    const answer = JSON.parse(asked.stdout) as {
      request: { seq: number; exit: boolean; reason: string; signal: string };
      checkpoint: { path: string; step: number; request: number };
    };
    expect(answer.request).toMatchObject({ seq: 1, exit: false, reason: 'user', signal: 'SIGUSR1' });
    expect(answer.checkpoint.request).toBe(1);
    expect(readFileSync(answer.checkpoint.path, 'utf8').trim()).toBe(String(answer.checkpoint.step));
    // The run goes on past the checkpoint.
    await reachStep(run.dir, answer.checkpoint.step + 3);
    expect(JSON.parse((await runCli(ws, ['status', '--json'])).stdout).state).toBe('running');

    const abort = await runCli(ws, ['abort', '--checkpoint', '--checkpoint-grace', '60s'], { env });
    expect(abort.stderr).toBe('');
    expect(abort.code).toBe(0);
    expect(abort.stdout).toContain(`run ${run.id} suspended`);
    expect(abort.stdout).toContain(`resume it with: runwarden resume ${run.id}`);
    const record = await show(ws, run.id);
    expect(record.outcome).toBe('suspended');
    expect(record.checkpoint?.request).toBe(2);
    const path = record.checkpoint?.path ?? '';
    expect(readFileSync(path, 'utf8').trim()).toBe(String(record.checkpoint?.step));
    expect(readFileSync(join(run.dir, 'stdout.log'), 'utf8')).toContain(
      `checkpointed at step ${record.checkpoint?.step}; exiting`,
    );
    // `watch` of a suspended run exits 75 (EX_TEMPFAIL: try again).
    expect((await runCli(ws, ['watch', run.id])).code).toBe(75);
  });

  it('a Node job (the Node helper) saves, acks and exits on abort --checkpoint', async () => {
    const ws = workspace();
    const out = mkdtempSync(join(tmpdir(), 'rw-ckpt-'));
    const run = await start(
      ws,
      [process.execPath, nodeJob, out, '100000', '50'],
      ['--checkpoint-signal', 'USR2'],
    );
    await reachStep(run.dir, 3);
    const abort = await runCli(ws, ['abort', '--checkpoint', '--json'], { env });
    expect(abort.stderr).toBe('');
    const record = JSON.parse(abort.stdout) as {
      outcome: string;
      checkpoint: { path: string; step: number };
    };
    expect(record.outcome).toBe('suspended');
    expect(readFileSync(record.checkpoint.path, 'utf8').trim()).toBe(String(record.checkpoint.step));
    const control = JSON.parse(readFileSync(join(run.dir, 'checkpoint.json'), 'utf8')) as { signal: string };
    expect(control.signal).toBe('SIGUSR2');
  });

  it('a job that ignores requests is aborted only once the checkpoint grace is over', async () => {
    const ws = workspace();
    const out = mkdtempSync(join(tmpdir(), 'rw-ckpt-'));
    const started = await runCli(
      ws,
      ['start', '--json', '--grace', '2s', '--', 'python3', pyJob, out, '100000', '50'],
      {
        env: { ...env, IGNORE_REQUESTS: '1' },
      },
    );
    const run = JSON.parse(started.stdout) as Started;
    await reachStep(run.dir, 3);
    const before = Date.now();
    const abort = await runCli(ws, ['abort', '--checkpoint', '--checkpoint-grace', '1500ms'], { env });
    expect(abort.code).toBe(0);
    expect(abort.stdout).toContain(`run ${run.id} aborted`);
    const record = await show(ws, run.id);
    expect(record.outcome).toBe('aborted');
    expect(record.checkpoint).toBeUndefined();
    // Never killed before its deadline: it printed steps for the whole grace.
    expect(record.endedAt - before).toBeGreaterThanOrEqual(1_500);
  });

  it('--time-limit with --checkpoint-before suspends the run with no runwarden process alive', async () => {
    const ws = workspace();
    const out = mkdtempSync(join(tmpdir(), 'rw-ckpt-'));
    // start returns at once: only the job's monitor is left to keep the clock.
    const run = await start(
      ws,
      ['python3', pyJob, out, '100000', '50'],
      ['--time-limit', '8s', '--checkpoint-before', '6s'],
    );
    await waitFor(() => existsSync(join(run.dir, 'exit.json')), {
      timeoutMs: 30_000,
      description: 'the job to end',
    });
    const control = JSON.parse(readFileSync(join(run.dir, 'checkpoint.json'), 'utf8')) as {
      reason: string;
      exit: boolean;
    };
    expect(control).toMatchObject({ reason: 'time-limit', exit: true });
    const record = await show(ws, run.id);
    expect(record.outcome).toBe('suspended');
    expect(record.checkpoint?.step).toBeGreaterThan(0);

    // Without --checkpoint-before the limit is a plain abort, reason time-limit.
    const plain = await start(
      ws,
      ['python3', pyJob, out, '100000', '50'],
      ['--time-limit', '1500ms', '--grace', '2s'],
    );
    await waitFor(() => existsSync(join(plain.dir, 'exit.json')), {
      timeoutMs: 30_000,
      description: 'the job to end',
    });
    const ended = await show(ws, plain.id);
    expect(ended).toMatchObject({ outcome: 'aborted', reason: 'time-limit' });
  });

  it('a job that never handles the checkpoint signal is not killed by it (the monitor starts it ignored)', async () => {
    const ws = workspace();
    const run = await start(ws, ['sh', '-c', 'while :; do echo tick; sleep 0.1; done']);
    await waitFor(
      () =>
        existsSync(join(run.dir, 'stdout.log')) &&
        readFileSync(join(run.dir, 'stdout.log'), 'utf8').length > 10,
      {
        timeoutMs: 20_000,
        description: 'ticks',
      },
    );
    const asked = await runCli(ws, ['checkpoint', '--json']);
    expect(asked.code).toBe(0);
    const size = readFileSync(join(run.dir, 'stdout.log'), 'utf8').length;
    await waitFor(() => readFileSync(join(run.dir, 'stdout.log'), 'utf8').length > size + 20, {
      timeoutMs: 20_000,
      description: 'ticks after the request',
    });
    expect(JSON.parse((await runCli(ws, ['status', '--json'])).stdout).state).toBe('running');
    expect((await runCli(ws, ['abort', '--force'])).code).toBe(0);
  });

  it('refuses bad checkpoint options with one line and exit 2, starting nothing', async () => {
    const ws = workspace();
    for (const [flags, text] of [
      [['--checkpoint-before', '5m'], '--checkpoint-before needs --time-limit'],
      [['--time-limit', '1m', '--checkpoint-before', '2m'], 'must be positive and shorter than --time-limit'],
      [['--checkpoint-signal', 'KILL'], '--checkpoint-signal cannot be SIGKILL'],
      [['--checkpoint-signal', 'BOGUS'], "unknown signal 'BOGUS'"],
    ] as const) {
      const result = await runCli(ws, ['start', ...flags, '--', 'sleep', '30']);
      expect({ flags, code: result.code }).toEqual({ flags, code: 2 });
      expect(result.stderr).toContain(text);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(existsSync(join(ws, 'active.lock'))).toBe(false);
    const none = await runCli(ws, ['checkpoint']);
    expect(none.code).toBe(4);
    expect(none.stderr).toContain('no run is active');
    const graceAlone = await runCli(ws, ['abort', '--checkpoint-grace', '1m', '--if-active']);
    expect(graceAlone.code).toBe(0);
  });
});
