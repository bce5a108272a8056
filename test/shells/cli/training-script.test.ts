// Proves what status, watch (on a pty), show and GET /api/status say at each phase of a realistic
// training script that knows nothing of runwarden (test/fixtures/jobs/train_model.py): tqdm bars
// on stderr, Trainer dicts and checkpoint lines on stdout, block-buffered stdout, SIGINT handling.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BuiltApp } from '../../../shells/http/app.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { call, testApp } from '../http/helpers.ts';
import { runInPty } from './pty.ts';
import { repoRoot, runCli, useWorkspaces } from './run-cli.ts';

const { workspace } = useWorkspaces();
const script = join(repoRoot, 'test/fixtures/jobs/train_model.py');
let apps: BuiltApp[] = [];
afterEach(async () => {
  for (const built of apps) await built.app.close();
  apps = [];
});

interface Progress {
  phase: string | null;
  phasesDone: string[];
  percent: number | null;
  step: number | null;
  etaMs: number | null;
  metrics: Record<string, number>;
  lastCheckpoint: { path: string } | null;
}

/** A run of the script in a fresh workspace, the HTTP app on it, and the phase controls. */
async function startTraining() {
  const ws = workspace();
  const control = mkdtempSync(join(tmpdir(), 'rw-train-'));
  const start = await runCli(ws, ['start', '--json', '-C', control, '--', 'python3', script, control]);
  expect(start.code).toBe(0);
  const run = JSON.parse(start.stdout) as { id: string; dir: string };
  const built = testApp({ workspace: ws });
  apps.push(built);
  await built.app.ready();
  const reached = (phase: string) =>
    waitFor(
      async () => {
        const { existsSync } = await import('node:fs');
        return existsSync(join(control, `at-${phase}`));
      },
      { timeoutMs: 30_000, intervalMs: 50, description: `the script to reach ${phase}` },
    );
  const go = (name: string) => writeFileSync(join(control, name), '');
  /** The progress GET /api/status gives once `ok` holds for it. */
  const httpProgress = (ok: (p: Progress) => boolean, what: string) =>
    waitFor(
      async () => {
        const body = (await call(built, { method: 'GET', url: '/api/status' })).json() as {
          status: { run: { progress: Progress | null } | null };
        };
        const progress = body.status.run?.progress ?? null;
        return progress !== null && ok(progress) ? progress : null;
      },
      { timeoutMs: 20_000, intervalMs: 100, description: `GET /api/status to show ${what}` },
    );
  const status = async () => {
    const text = (await runCli(ws, ['status'])).stdout;
    const json = JSON.parse((await runCli(ws, ['status', '--json'])).stdout) as {
      run: { progress: Progress | null } | null;
    };
    return { text, progress: json.run?.progress ?? null };
  };
  return { ws, run, built, reached, go, httpProgress, status };
}

describe('a realistic training script under runwarden', () => {
  it('reads right at each phase in status, GET /api/status, watch on a pty and show', async () => {
    const t = await startTraining();

    // Downloaded, not yet training: the finished download bar is a phase done, not the progress.
    await t.reached('downloaded');
    const downloaded = await waitFor(
      async () => {
        const s = await t.status();
        return s.text.includes('done: Downloading') ? s : null;
      },
      { timeoutMs: 20_000, intervalMs: 100, description: 'status to list the download as done' },
    );
    expect(downloaded.text).not.toMatch(/100%|4\/4/);
    expect(downloaded.progress).toMatchObject({ phase: null, percent: null, phasesDone: ['Downloading'] });
    await t.httpProgress(
      (p) => p.phasesDone.includes('Downloading') && p.percent === null,
      'the download done',
    );

    // 20 % into the epoch: its bar, the Trainer loss (stdout unbuffered), an ETA from the rate.
    t.go('train');
    await t.reached('training');
    const training = await waitFor(
      async () => {
        const s = await t.status();
        return s.progress?.step === 80 && s.progress.metrics.loss !== undefined ? s : null;
      },
      { timeoutMs: 20_000, intervalMs: 100, description: 'status to show step 80 and the loss' },
    );
    expect(training.text).toContain('80/400');
    expect(training.text).toContain('Epoch 1');
    expect(training.text).toContain('loss 0.6667');
    expect(training.text).not.toContain('ETA 0ms');
    expect(training.progress).toMatchObject({ phase: 'Epoch 1', percent: 20, phasesDone: ['Downloading'] });
    expect(training.progress?.etaMs).toBeGreaterThan(60_000);
    expect(training.progress?.lastCheckpoint).toMatchObject({ path: 'out/checkpoint-80' });
    const http = await t.httpProgress((p) => p.step === 80, 'step 80');
    expect(http).toMatchObject({ phase: 'Epoch 1', percent: 20, metrics: { loss: 0.6667 } });
    expect(http.etaMs).toBeGreaterThan(60_000);

    // watch on a terminal through the end: the frozen view says how it ended and what it left.
    const watching = runInPty(t.ws, ['watch']);
    await waitFor(async () => (await t.status()).text.includes('80/400'), {
      timeoutMs: 10_000,
      description: 'the run to be still at 80/400 while watch starts',
    });
    t.go('finish');
    const watch = await watching;
    expect(watch.code).toBe(0);
    const frozen = watch.screen.slice(watch.screen.lastIndexOf(`run ${t.run.id} finished`));
    for (const text of [
      'done: Downloading → Epoch 1 → Evaluating',
      'eval_loss 0.3187',
      'checkpoint: out/checkpoint-400',
      `dir:     ${t.run.dir}`,
      `runwarden logs ${t.run.id}`,
    ]) {
      expect(frozen).toContain(text);
    }
    expect(watch.screen).not.toContain('^M');

    const show = (await runCli(t.ws, ['show'])).stdout;
    expect(show).toContain('outcome: finished');
    expect(show).toContain('checkpoint: out/checkpoint-400');
    expect(show).toContain('train_loss 0.4021');
  });

  it('an abort mid-epoch: the script checkpoints on SIGINT; show gives the last bar state and the reason', async () => {
    const t = await startTraining();
    await t.reached('downloaded');
    t.go('train');
    await t.reached('training');
    const abort = await runCli(t.ws, ['abort']);
    expect(abort.code).toBe(0);
    expect(abort.stdout).toMatch(/aborted/);
    const show = (await runCli(t.ws, ['show'])).stdout;
    expect(show).toMatch(/outcome: aborted \(exit code 130\)/);
    expect(show).toContain('checkpoint: out/checkpoint-80');
    expect(show).toContain('KeyboardInterrupt: saving a checkpoint');
    expect(show).toMatch(/Epoch 1: {2}20%\|##\s*\| 80\/400/);
    expect(show).not.toMatch(/\| 1\/400|\^M/);
    // Issue 14: nothing is deleted by default; the aborted run's directory and logs stay.
    expect(show).toMatch(/dir: {5}\/\S+/);
    expect(show).not.toContain('deleted');
  });
});
