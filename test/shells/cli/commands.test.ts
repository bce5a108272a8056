// Proves the CLI contract by running `runwarden` as a user would against real jobs: outcomes,
// exit codes (0, job's code, 2, 3, 4), one-line errors, and the documented --json shapes.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/wait-for.ts';
import { alive, repoRoot, runCli, useWorkspaces } from './run-cli.ts';

const fixture = (name: string) => join(repoRoot, 'test/fixtures/jobs', name);
const { workspace, track } = useWorkspaces();

/** The single line a failing command wrote to stderr. */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0] ?? '';
}

describe('runwarden', () => {
  it('starts a job, prints its id as JSON, and watch exits with the job code', async () => {
    const ws = workspace();
    const start = await runCli(ws, ['start', '--json', '--', 'sh', '-c', 'echo hello; sleep 0.5; exit 3']);
    expect(start.code).toBe(0);
    const run = JSON.parse(start.stdout) as { id: string; dir: string; pid: number };
    expect(Object.keys(run).sort()).toEqual(['dir', 'id', 'pid']);
    track(run.pid);
    const watch = await runCli(ws, ['watch']);
    expect(watch.code).toBe(3);
    expect(watch.stdout).toContain(`run ${run.id} failed (exit code 3)`);
    const list = await runCli(ws, ['list', '--json']);
    const runs = JSON.parse(list.stdout) as Array<Record<string, unknown>>;
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ id: run.id, outcome: 'failed', exitCode: 3, signal: null });
    for (const key of ['id', 'name', 'outcome', 'exitCode', 'signal', 'startedAt', 'endedAt', 'durationMs']) {
      expect(runs[0]).toHaveProperty(key);
    }
  });

  it('start --watch follows the run and exits 0 for a job that finishes', async () => {
    const ws = workspace();
    const result = await runCli(ws, [
      'start',
      '--watch',
      '--name',
      'ok',
      '--',
      'sh',
      '-c',
      'echo working; exit 0',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/run ok-\S+ finished/);
    expect((await runCli(ws, ['logs'])).stdout).toBe('working\n');
  });

  it('refuses a second start with exit 3 and a message naming the active run', async () => {
    const ws = workspace();
    const first = await runCli(ws, ['start', '--json', '--', 'sleep', '30']);
    const run = JSON.parse(first.stdout) as { id: string; pid: number };
    track(run.pid);
    const second = await runCli(ws, ['start', '--', 'sleep', '1']);
    expect(second.code).toBe(3);
    expect(oneLine(second.stderr)).toContain(`run ${run.id} is already active`);
    expect(second.stdout).toBe('');
  });

  it('aborts a job that traps SIGINT: it checkpoints and the run ends aborted', async () => {
    const ws = workspace();
    const dir = join(ws, '..');
    const start = await runCli(ws, [
      'start',
      '--json',
      '--cwd',
      dir,
      '--on-abort',
      'keep',
      '--',
      process.execPath,
      fixture('checkpoint-on-sigint.mjs'),
    ]);
    const run = JSON.parse(start.stdout) as { id: string; pid: number };
    track(run.pid);
    await waitFor(() => existsSync(join(dir, 'ready')), {
      timeoutMs: 10_000,
      description: 'the job to be ready',
    });
    const abort = await runCli(ws, ['abort', '--json']);
    expect(abort.code).toBe(0);
    expect(JSON.parse(abort.stdout)).toMatchObject({ runId: run.id, outcome: 'aborted', exitCode: 130 });
    expect(readFileSync(join(dir, 'checkpoint'), 'utf8')).toContain(`of ${run.pid}`);
    expect(alive(run.pid)).toBe(false);
    const again = await runCli(ws, ['abort']);
    expect(again.code).toBe(4);
    expect(oneLine(again.stderr)).toContain('no run is active');
  });

  it('aborts a job that ignores SIGINT with SIGKILL after a 1 s grace, leaving no process', async () => {
    const ws = workspace();
    const cwd = join(ws, '..');
    const start = await runCli(ws, [
      'start',
      '--json',
      '--grace',
      '1s',
      '--cwd',
      cwd,
      '--',
      process.execPath,
      fixture('ignore-signals.mjs'),
    ]);
    const run = JSON.parse(start.stdout) as { id: string; pid: number };
    track(run.pid);
    // SIGINT must arrive after the job installed its handlers (it says so with a `ready` file).
    await waitFor(() => existsSync(join(cwd, 'ready')), {
      timeoutMs: 10_000,
      description: 'the job to be ready',
    });
    const abort = await runCli(ws, ['abort']);
    expect(abort.code).toBe(0);
    expect(abort.stdout).toContain('SIGKILL in 1.0s');
    expect(abort.stdout).toContain('aborted (killed by SIGKILL)');
    expect(alive(run.pid)).toBe(false);
  });

  it('records an abort from one process as aborted even when another process watches and finalises', async () => {
    const ws = workspace();
    const cwd = join(ws, '..');
    const start = await runCli(ws, [
      'start',
      '--json',
      '--cwd',
      cwd,
      '--',
      process.execPath,
      fixture('checkpoint-on-sigint.mjs'),
    ]);
    const run = JSON.parse(start.stdout) as { id: string; dir: string; pid: number };
    track(run.pid);
    await waitFor(() => existsSync(join(cwd, 'ready')), {
      timeoutMs: 10_000,
      description: 'the job to be ready',
    });
    // The watcher is attached once it printed its first view (re-attaching journals nothing:
    // it is a look, not a transition).
    let watched = '';
    const watcher = runCli(ws, ['watch', '--json'], {
      onStdout: (text) => {
        watched += text;
      },
    });
    await waitFor(() => watched.includes('\n'), {
      timeoutMs: 10_000,
      description: 'the watcher to attach',
    });
    // --no-wait: the aborting process leaves at once, so the watcher is the one that finalises.
    expect((await runCli(ws, ['abort', '--no-wait'])).code).toBe(0);
    expect((await watcher).code).toBe(130);
    const list = JSON.parse((await runCli(ws, ['list', '--json'])).stdout) as Array<{ outcome: string }>;
    expect(list.map((r) => r.outcome)).toEqual(['aborted']);
  });

  it('says not found (exit 4) for an unknown run and usage (exit 2) for bad input', async () => {
    const ws = workspace();
    const unknown = await runCli(ws, ['logs', 'nope']);
    expect(unknown.code).toBe(4);
    expect(oneLine(unknown.stderr)).toContain("no run 'nope'");
    const badDuration = await runCli(ws, ['start', '--grace', 'soon', '--', 'true']);
    expect(badDuration.code).toBe(2);
    expect(oneLine(badDuration.stderr)).toContain("invalid duration 'soon'");
    const badFlag = await runCli(ws, ['status', '--frobnicate']);
    expect(badFlag.code).toBe(2);
    expect(oneLine(badFlag.stderr)).toContain("unknown option '--frobnicate'");
    const noCommand = await runCli(ws, ['start']);
    expect(noCommand.code).toBe(2);
    const badId = await runCli(ws, ['logs', '../etc']);
    expect(badId.code).toBe(2);
    expect(oneLine(badId.stderr)).toContain("invalid run id '../etc'");
  });

  it('reports an unknown program as a failed start with the reason, and nothing left running', async () => {
    const ws = workspace();
    const result = await runCli(ws, ['start', '--', 'definitely-not-a-program-rw']);
    expect(result.code).toBe(1);
    expect(oneLine(result.stderr)).toMatch(/definitely-not-a-program-rw.*not found/);
    const status = JSON.parse((await runCli(ws, ['status', '--json'])).stdout) as { state: string };
    expect(status.state).toBe('idle');
    const list = JSON.parse((await runCli(ws, ['list', '--json'])).stdout) as Array<{ outcome: string }>;
    expect(list.map((r) => r.outcome)).toEqual(['failed']);
  });

  it('prints status as JSON with the documented shape while a run is active', async () => {
    const ws = workspace();
    const start = await runCli(ws, ['start', '--json', '--name', 'shape', '--', 'sleep', '30']);
    const run = JSON.parse(start.stdout) as { id: string; pid: number };
    track(run.pid);
    const status = JSON.parse((await runCli(ws, ['status', '--json'])).stdout) as Record<string, unknown>;
    expect(status).toMatchObject({
      state: 'running',
      recovered: [],
      run: { id: run.id, name: 'shape', pid: run.pid },
    });
    const human = await runCli(ws, ['status']);
    expect(human.stdout).toContain('state:   running');
    expect(human.stdout).toContain(`pid:     ${run.pid}`);
  });

  it('shows logs with --tail, --stderr and --follow until the run ends', async () => {
    const ws = workspace();
    const script = join(ws, '..', 'job.sh');
    writeFileSync(script, 'for i in 1 2 3 4 5; do echo out $i; done; echo err >&2; sleep 0.5; echo late\n');
    const start = await runCli(ws, ['start', '--json', '--', 'sh', script]);
    track((JSON.parse(start.stdout) as { pid: number }).pid);
    const follow = await runCli(ws, ['logs', '--follow']);
    expect(follow.stdout).toBe('out 1\nout 2\nout 3\nout 4\nout 5\nlate\n');
    expect((await runCli(ws, ['logs', '--tail', '2'])).stdout).toBe('out 5\nlate\n');
    expect((await runCli(ws, ['logs', '--stderr'])).stdout).toBe('err\n');
  });

  it('neutralises control characters from job output on a terminal but not in a pipe', async () => {
    const ws = workspace();
    const start = await runCli(ws, ['start', '--json', '--watch', '--', 'printf', 'a\\033[2Jb\\n']);
    expect(start.code).toBe(0);
    const piped = await runCli(ws, ['logs']);
    expect(piped.stdout).toBe('a\u001b[2Jb\n');
    const { neutralize } = await import('../../../shells/cli/output.ts');
    expect(neutralize('a\u001b[2Jb\r\n\u0007')).toBe('a^[[2Jb^M\n^G');
  });

  it('waits for nothing when the job is already gone: the run list stays consistent', async () => {
    const ws = workspace();
    await runCli(ws, ['start', '--json', '--', 'true']);
    await waitFor(
      async () =>
        (JSON.parse((await runCli(ws, ['status', '--json'])).stdout) as { state: string }).state === 'idle',
      {
        timeoutMs: 10_000,
        description: 'the run to end',
      },
    );
    const list = JSON.parse((await runCli(ws, ['list', '--json'])).stdout) as Array<{
      outcome: string;
      exitCode: number;
    }>;
    expect(list).toEqual([expect.objectContaining({ outcome: 'finished', exitCode: 0 })]);
  });
});
