// The run card's capture against real tools: a real git repository (clean, dirty, a diff over
// the 1 MiB cap, a remote with credentials), test/fixtures/bin/nvidia-smi on PATH standing in for
// NVIDIA's tool (no GPU here; it prints the real tool's CSV format), a fake `git` that hangs (the
// capture ends at its bound and kills it), and the environment filter (secret-looking names withheld).
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunConfig } from '../../../machine/types.ts';
import {
  allowedEnv,
  captureRunCard,
  diffBytesMax,
  withoutCredentials,
} from '../../../runtime/local/run-card.ts';
import { defaultRetention } from '../../../shells/api/run-config.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { alive } from '../../shells/cli/run-cli.ts';

const fixtureBin = resolve(import.meta.dirname, '../../fixtures/bin');
const noGpuPath = process.env.PATH ?? '';

/** A config for a job in `cwd`. */
function configIn(cwd: string, extra: Partial<RunConfig> = {}): RunConfig {
  return {
    runId: 'card-test',
    name: 'card-test',
    argv: ['python3', 'train.py', '--lr', '0.1'],
    cwd,
    env: {},
    graceMs: 1000,
    stallAfterMs: null,
    abortOnStall: false,
    retention: defaultRetention,
    ...extra,
  };
}

/** A git repository with one commit of `file.txt`, its remote carrying a user and a token. */
function gitRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rw-card-git-'));
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: dir, env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null' } });
  git('init', '-q', '-b', 'main');
  writeFileSync(join(dir, 'file.txt'), 'one\n');
  git('add', 'file.txt');
  git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-q', '-m', 'one');
  git('remote', 'add', 'origin', 'https://alice:ghp_secret123@example.com/team/model.git');
  return dir;
}

const headOf = (dir: string) =>
  execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();

afterEach(() => {
  process.env.PATH = noGpuPath;
});

describe('captureRunCard', () => {
  it('records the commit, branch and remote of a clean repository, without the credentials', async () => {
    const dir = gitRepo();
    const card = await captureRunCard(configIn(dir), { PATH: noGpuPath });
    expect(card.git).toMatchObject({
      commit: headOf(dir),
      branch: 'main',
      remote: 'https://example.com/team/model.git',
      dirty: false,
      diff: '',
      diffTruncated: false,
      untracked: [],
    });
    expect(JSON.stringify(card)).not.toContain('ghp_secret123');
    expect(card.argv).toEqual(['python3', 'train.py', '--lr', '0.1']);
    expect(card.cwd).toBe(dir);
    expect(card.runwarden).toBe(
      JSON.parse(readFileSync(resolve(import.meta.dirname, '../../../package.json'), 'utf8')).version,
    );
  });

  it('records a dirty tree: the diff of tracked changes and the untracked names', async () => {
    const dir = gitRepo();
    writeFileSync(join(dir, 'file.txt'), 'one\ntwo\n');
    writeFileSync(join(dir, 'new.py'), 'print(1)\n');
    const card = await captureRunCard(configIn(dir), { PATH: noGpuPath });
    expect(card.git?.dirty).toBe(true);
    expect(card.git?.diff).toContain('+two');
    expect(card.git?.untracked).toEqual(['new.py']);
  });

  it('cuts a diff larger than 1 MiB at 1 MiB and says so', async () => {
    const dir = gitRepo();
    // 3 MiB of changed lines: git prints more than the cap.
    writeFileSync(join(dir, 'file.txt'), `${'x'.repeat(99)}\n`.repeat(30_000));
    const card = await captureRunCard(configIn(dir), { PATH: noGpuPath });
    expect(card.git?.diffTruncated).toBe(true);
    expect(Buffer.byteLength(card.git?.diff ?? '')).toBeLessThanOrEqual(diffBytesMax);
    expect(Buffer.byteLength(card.git?.diff ?? '')).toBeGreaterThan(diffBytesMax - 4);
    expect(card.git?.dirty).toBe(true);
  });

  it('has no git facts and no complaint outside a repository', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-card-plain-'));
    const card = await captureRunCard(configIn(dir), { PATH: noGpuPath, GIT_CEILING_DIRECTORIES: tmpdir() });
    expect(card.git).toBeNull();
    expect(card.notes).toEqual([]);
  });

  it('lists the GPUs of the nvidia-smi fixture on PATH (the real CSV format) with their driver', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-card-gpu-'));
    process.env.PATH = `${fixtureBin}${delimiter}${noGpuPath}`;
    const card = await captureRunCard(configIn(dir), { PATH: process.env.PATH });
    expect(card.gpus).toEqual([
      {
        name: 'NVIDIA A100-SXM4-80GB',
        uuid: 'GPU-5d4c7f3e-2b1a-4c9d-8e7f-6a5b4c3d2e1f',
        driver: '535.104.05',
      },
      {
        name: 'NVIDIA A100-SXM4-80GB',
        uuid: 'GPU-9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d',
        driver: '535.104.05',
      },
    ]);
  });

  it('has no GPUs and no note without nvidia-smi', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-card-nogpu-'));
    process.env.PATH = '/usr/bin:/bin';
    const card = await captureRunCard(configIn(dir), {
      PATH: '/usr/bin:/bin',
      GIT_CEILING_DIRECTORIES: tmpdir(),
    });
    expect(card.gpus).toBeNull();
    expect(card.notes).toEqual([]);
  });

  it('ends at its bound when git hangs, kills the hung git with its children, and says why', async () => {
    const dir = gitRepo();
    const bin = mkdtempSync(join(tmpdir(), 'rw-card-hung-'));
    const pids = join(bin, 'pids');
    // A `git` that records its pid and its child's, then sleeps far past any bound.
    writeFileSync(join(bin, 'git'), `#!/bin/sh\nsleep 300 &\necho "$$ $!" >> ${pids}\nwait\n`);
    chmodSync(join(bin, 'git'), 0o755);
    const env = { PATH: `${bin}${delimiter}${noGpuPath}` };
    const card = await captureRunCard(configIn(dir), env, { toolTimeoutMs: 300 });
    expect(card.git).toBeNull();
    expect(card.notes).toContain('git: git did not answer within 300 ms');
    const started = readFileSync(pids, 'utf8').trim().split(/\s+/).map(Number);
    expect(started.length).toBeGreaterThanOrEqual(2);
    await waitFor(() => started.every((pid) => !alive(pid)), {
      timeoutMs: 10_000,
      description: 'the hung git and its sleep to be gone',
    });
  });

  it('a dropped capture (its start failed) kills the tools still running at once', async () => {
    const dir = gitRepo();
    const bin = mkdtempSync(join(tmpdir(), 'rw-card-drop-'));
    const pids = join(bin, 'pids');
    writeFileSync(join(bin, 'git'), `#!/bin/sh\nsleep 300 &\necho "$$ $!" >> ${pids}\nwait\n`);
    chmodSync(join(bin, 'git'), 0o755);
    const dropped = new AbortController();
    const capture = captureRunCard(
      configIn(dir),
      { PATH: `${bin}${delimiter}${noGpuPath}` },
      {
        toolTimeoutMs: 600_000,
        signal: dropped.signal,
      },
    );
    // All four git calls are running (each wrote its line) before the start "fails".
    await waitFor(() => existsSync(pids) && readFileSync(pids, 'utf8').trim().split('\n').length === 4, {
      timeoutMs: 20_000,
      description: 'four hung git calls',
    });
    dropped.abort();
    expect((await capture).git).toBeNull();
    const started = readFileSync(pids, 'utf8').trim().split(/\s+/).map(Number);
    await waitFor(() => started.every((pid) => !alive(pid)), {
      timeoutMs: 10_000,
      description: 'every dropped git gone',
    });
  });

  it('records the names RUNWARDEN_CARD_ENV and capture.env add', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-card-envs-'));
    const card = await captureRunCard(
      configIn(dir, { capture: { env: ['WANDB_PROJECT'] }, env: { WANDB_PROJECT: 'p1' } }),
      {
        PATH: noGpuPath,
        GIT_CEILING_DIRECTORIES: tmpdir(),
        RUNWARDEN_CARD_ENV: 'HF_*, OMP_NUM_THREADS',
        HF_HOME: '/data/hf',
        HF_TOKEN: 'hf_secret',
        OMP_NUM_THREADS: '8',
        HOME: '/root',
      },
    );
    expect(card.env).toEqual({
      HF_HOME: '/data/hf',
      OMP_NUM_THREADS: '8',
      RUNWARDEN_CARD_ENV: 'HF_*, OMP_NUM_THREADS',
      WANDB_PROJECT: 'p1',
    });
    expect(card.envWithheld).toEqual(['HF_TOKEN']);
  });

  it('records pip freeze output with --capture-packages, bounded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-card-pkg-'));
    const bin = mkdtempSync(join(tmpdir(), 'rw-card-py-'));
    // A python3 whose `-m pip freeze` prints two pinned packages (no pip install needed).
    writeFileSync(
      join(bin, 'python3'),
      '#!/bin/sh\n[ "$1 $2 $3" = "-m pip freeze" ] && printf "numpy==2.1.0\\ntorch==2.5.1\\n"\n',
    );
    chmodSync(join(bin, 'python3'), 0o755);
    const card = await captureRunCard(configIn(dir, { capture: { packages: true } }), {
      PATH: `${bin}${delimiter}/usr/bin:/bin`,
      GIT_CEILING_DIRECTORIES: tmpdir(),
    });
    expect(card.packages?.pip).toEqual({
      command: 'python3 -m pip freeze',
      output: 'numpy==2.1.0\ntorch==2.5.1\n',
      truncated: false,
    });
  });
});

describe('allowedEnv', () => {
  it('keeps CUDA_*, SLURM_*, RUNWARDEN_* and asked-for names, and never a secret-looking one', () => {
    const env = {
      CUDA_VISIBLE_DEVICES: '0,1',
      SLURM_JOB_ID: '42',
      RUNWARDEN_RUN_ID: 'r1',
      RUNWARDEN_TOKEN: 'tok-abcdef',
      HF_TOKEN: 'hf_x',
      HF_HOME: '/data/hf',
      WANDB_API_KEY: 'k',
      AWS_SECRET_ACCESS_KEY: 's',
      SLURM_PASSWORD: 'p',
      HOME: '/root',
    };
    const kept = allowedEnv(env, ['CUDA_*', 'SLURM_*', 'RUNWARDEN_*', 'HF_*', 'WANDB_*']);
    expect(kept.env).toEqual({
      CUDA_VISIBLE_DEVICES: '0,1',
      HF_HOME: '/data/hf',
      RUNWARDEN_RUN_ID: 'r1',
      SLURM_JOB_ID: '42',
    });
    expect(kept.withheld).toEqual(['HF_TOKEN', 'RUNWARDEN_TOKEN', 'SLURM_PASSWORD', 'WANDB_API_KEY']);
  });

  it('takes user and password out of a remote URL and leaves an scp-style one alone', () => {
    expect(withoutCredentials('https://u:p@host/x.git')).toBe('https://host/x.git');
    expect(withoutCredentials('git@github.com:org/x.git')).toBe('git@github.com:org/x.git');
  });
});
