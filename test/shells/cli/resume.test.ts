// Issue 14 with real processes: a suspended Python job resumed by `runwarden resume` continues
// from its checkpoint's step (RUNWARDEN_RESUME_FROM), keeps its lineage id across restarts and
// falls back to the checkpoint before when the newest is gone; `start --watch --retries` retries a
// job SIGKILLed (by PID) from its newest checkpoint as a new run; --auto-resume resumes suspended
// runs until the job finishes; bad input exits 2 (3 for a finished run, 4 for none).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/wait-for.ts';
import { activePids, repoRoot, runCli, useWorkspaces } from './run-cli.ts';

const { workspace } = useWorkspaces();
const pyJob = join(repoRoot, 'test/fixtures/jobs/train_ckpt.py');
const env = { RW_HELPER_DIR: join(repoRoot, 'shells/job') };

const stdoutOf = (dir: string) =>
  existsSync(join(dir, 'stdout.log')) ? readFileSync(join(dir, 'stdout.log'), 'utf8') : '';
const lastStep = (dir: string) =>
  [...stdoutOf(dir).matchAll(/^step (\d+)$/gm)].map((m) => Number(m[1])).at(-1) ?? 0;
const reach = (dir: string, step: number) =>
  waitFor(() => lastStep(dir) >= step, { timeoutMs: 30_000, description: `step ${step} in ${dir}` });

interface RunRecord {
  runId: string;
  outcome: string;
  checkpoint?: { path: string; step: number };
  config: {
    lineage?: { parentId: string; lineageId: string; restartCount: number; resumeFrom: string | null };
  };
}

async function suspend(ws: string): Promise<RunRecord> {
  const abort = await runCli(ws, ['abort', '--checkpoint', '--json'], { env });
  expect(abort.stderr).toBe('');
  const record = JSON.parse(abort.stdout) as RunRecord;
  expect(record.outcome).toBe('suspended');
  return record;
}

describe('runwarden resume and retries', () => {
  it('resumes a suspended run from its checkpoint step, one lineage across restarts', async () => {
    const ws = workspace();
    const out = mkdtempSync(join(tmpdir(), 'rw-resume-'));
    const first = JSON.parse(
      (await runCli(ws, ['start', '--json', '--', 'python3', pyJob, out, '100000', '50'], { env })).stdout,
    ) as { id: string; dir: string };
    await reach(first.dir, 3);
    const s1 = await suspend(ws);

    const resumed = await runCli(ws, ['resume', first.id, '--json'], { env });
    expect(resumed.stderr).toBe('');
    const r1 = JSON.parse(resumed.stdout) as {
      id: string;
      dir: string;
      lineageId: string;
      restartCount: number;
      resumeFrom: string;
    };
    expect(r1).toMatchObject({ lineageId: first.id, restartCount: 1, resumeFrom: s1.checkpoint?.path });
    await waitFor(() => stdoutOf(r1.dir).includes('resumed from'), {
      timeoutMs: 30_000,
      description: 'the job to start',
    });
    expect(stdoutOf(r1.dir)).toContain(
      `resumed from step ${s1.checkpoint?.step} (restart 1, lineage ${first.id})`,
    );
    await reach(r1.dir, (s1.checkpoint?.step ?? 0) + 2);
    // It continues: its first step is the one after the checkpoint.
    expect(stdoutOf(r1.dir)).toMatch(new RegExp(`^step ${(s1.checkpoint?.step ?? 0) + 1}$`, 'm'));
    const s2 = await suspend(ws);

    // The newest checkpoint is gone: the resume falls back to the one before it.
    rmSync(s2.checkpoint?.path ?? '');
    const again = JSON.parse((await runCli(ws, ['resume', '--json'], { env })).stdout) as {
      id: string;
      lineageId: string;
      restartCount: number;
      resumeFrom: string;
    };
    expect(again).toMatchObject({ lineageId: first.id, restartCount: 2, resumeFrom: s1.checkpoint?.path });
    const showText = (await runCli(ws, ['show', r1.id])).stdout;
    expect(showText).toContain(`lineage: ${first.id} (restart 1, resume of ${first.id}`);
    const list = JSON.parse((await runCli(ws, ['list', '--json'])).stdout) as {
      id: string;
      parentId?: string;
      lineageId?: string;
    }[];
    expect(list.find((r) => r.id === r1.id)).toMatchObject({ parentId: first.id, lineageId: first.id });
    expect((await runCli(ws, ['abort', '--force'])).code).toBe(0);
  });

  it('start --watch --retries retries a job SIGKILLed by PID, as a new run from its newest checkpoint', async () => {
    const ws = workspace();
    const out = mkdtempSync(join(tmpdir(), 'rw-retry-'));
    const watching = runCli(
      ws,
      [
        'start',
        '--watch',
        '--retries',
        '2',
        '--retry-backoff',
        '200ms',
        '--name',
        'train',
        '--',
        'python3',
        pyJob,
        out,
        '60',
        '50',
      ],
      { env, timeoutMs: 90_000 },
    );
    const firstDir = await waitFor(
      () => {
        const pids = activePids(ws);
        if (pids.length === 0) return null;
        const lock = JSON.parse(readFileSync(join(ws, 'active.lock'), 'utf8')) as { runId: string };
        return join(ws, lock.runId);
      },
      { timeoutMs: 30_000, description: 'the first run' },
    );
    await reach(firstDir, 3);
    const asked = JSON.parse((await runCli(ws, ['checkpoint', '--wait', '--json'], { env })).stdout) as {
      checkpoint: { step: number };
    };
    const jobPid = JSON.parse(readFileSync(join(ws, 'active.lock'), 'utf8')).job.pid as number;
    process.kill(jobPid, 'SIGKILL');
    const result = await watching;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('retrying');
    expect(result.stdout).toContain('killed by SIGKILL without an abort');
    const list = JSON.parse((await runCli(ws, ['list', '--json'])).stdout) as {
      id: string;
      outcome: string;
      parentId?: string;
    }[];
    expect(list.map((r) => r.outcome)).toEqual(['finished', 'failed']);
    const retry = list[0];
    expect(retry?.parentId).toBe(list[1]?.id);
    const retryDir = join(ws, retry?.id ?? '');
    expect(stdoutOf(retryDir)).toContain(`resumed from step ${asked.checkpoint.step} (restart 1`);
    expect(stdoutOf(retryDir)).toContain('done');
  });

  it('--auto-resume resumes suspended runs (time limit) until the job finishes', async () => {
    const ws = workspace();
    const out = mkdtempSync(join(tmpdir(), 'rw-auto-'));
    const result = await runCli(
      ws,
      [
        'start',
        '--watch',
        '--auto-resume',
        '--time-limit',
        '5s',
        '--checkpoint-before',
        '4s',
        '--',
        'python3',
        pyJob,
        out,
        '40',
        '50',
      ],
      { env, timeoutMs: 120_000 },
    );
    expect(result.code).toBe(0);
    const list = JSON.parse((await runCli(ws, ['list', '--json'])).stdout) as {
      id: string;
      outcome: string;
      lineageId?: string;
    }[];
    expect(list[0]?.outcome).toBe('finished');
    expect(list.slice(1).every((r) => r.outcome === 'suspended')).toBe(true);
    expect(list.length).toBeGreaterThanOrEqual(2);
    const first = list.at(-1)?.id;
    expect(list.slice(0, -1).every((r) => r.lineageId === first)).toBe(true);
  });

  it('refuses what cannot be resumed or retried: exit 3, 4 and 2 with one line', async () => {
    const ws = workspace();
    expect((await runCli(ws, ['resume'])).code).toBe(4);
    await runCli(ws, ['start', '--watch', '--', 'true']);
    const finished = await runCli(ws, ['resume']);
    expect(finished.code).toBe(3);
    expect(finished.stderr).toContain('finished; there is nothing to resume');
    const flags = await runCli(ws, ['start', '--retry-on-exit', '75', '--', 'true']);
    expect(flags.code).toBe(2);
    expect(flags.stderr).toContain('--retry-on-exit and --retry-on-orphan need --retries N');
    const codes = await runCli(ws, ['start', '--retries', '1', '--retry-on-exit', '75,999', '--', 'true']);
    expect(codes.code).toBe(2);
    expect(codes.stderr).toContain("invalid exit code '999'");
    expect(existsSync(join(ws, 'active.lock'))).toBe(false);
  });
});
