// Proves `runwarden watch` on a terminal: run in a pseudo-terminal (util-linux `script`), it
// redraws a progress bar that moves as the job prints tqdm-style bars, then exits with the job's
// code. Also proves stall detection from a fresh process: a silent job shows as stalled.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/wait-for.ts';
import { binPath, runCli, useWorkspaces } from './run-cli.ts';

const { workspace } = useWorkspaces();

/** A job printing a tqdm-like bar to stderr, one `\r` update every 100 ms, then exiting 7. */
const barJob = [
  'import sys, time',
  'for i in range(1, 31):',
  "    sys.stderr.write('\\r train: %3d%%|%s| %d/30 [00:0%d<00:03, 10.0it/s]' % (i * 100 // 30, '#' * (i // 3), i, i // 10))",
  '    sys.stderr.flush()',
  '    time.sleep(0.1)',
  'sys.exit(7)',
].join('\n');

/** Run `runwarden watch` under `script` (a pty); resolve with everything the terminal received. */
function watchInPty(ws: string): Promise<{ code: number | null; screen: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qefc', `${process.execPath} ${binPath} watch`, '/dev/null'], {
      env: { ...process.env, RUNWARDEN_WORKSPACE: ws, TERM: 'xterm', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let screen = '';
    child.stdout.on('data', (d: Buffer) => {
      screen += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`watch did not end; screen so far: ${screen.slice(-500)}`));
    }, 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, screen });
    });
  });
}

describe('runwarden watch in a terminal', () => {
  it('redraws a progress bar that moves, then exits with the job code', async () => {
    const ws = workspace();
    const script = join(ws, '..', 'bar.py');
    writeFileSync(script, barJob);
    const start = await runCli(ws, ['start', '--json', '--', 'python3', script]);
    expect(start.code).toBe(0);
    const { code, screen } = await watchInPty(ws);
    expect(code).toBe(7);
    expect(screen).toContain('\u001b[2K'); // lines are redrawn in place
    const percents = [...screen.matchAll(/\]\s+(\d+)%\s+(\d+)\/30/g)].map((m) => Number(m[1]));
    expect(new Set(percents).size).toBeGreaterThanOrEqual(3);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(screen).toMatch(/failed \(exit code 7\)/);
  });
});

describe('stall detection', () => {
  it('shows a silent job as stalled to a fresh status, and running again once it speaks', async () => {
    const ws = workspace();
    const marker = join(ws, '..', 'speak');
    const job = `echo hello; while [ ! -e '${marker}' ]; do sleep 0.05; done; echo again; sleep 30`;
    await runCli(ws, ['start', '--stall-after', '600ms', '--', 'sh', '-c', job]);
    const state = async () =>
      (JSON.parse((await runCli(ws, ['status', '--json'])).stdout) as { state: string }).state;
    await waitFor(async () => (await state()) === 'stalled', {
      timeoutMs: 15_000,
      intervalMs: 200,
      description: 'stalled',
    });
    writeFileSync(marker, '');
    await waitFor(async () => (await state()) === 'running', {
      timeoutMs: 15_000,
      intervalMs: 100,
      description: 'running again',
    });
  });

  it('aborts a stalled run with --abort-on-stall and records it as aborted (stalled)', async () => {
    const ws = workspace();
    const start = await runCli(ws, [
      'start',
      '--watch',
      '--stall-after',
      '500ms',
      '--abort-on-stall',
      '--grace',
      '1s',
      '--',
      'sh',
      '-c',
      'echo once; sleep 60',
    ]);
    expect(start.code).toBe(130);
    // The reason comes first: the user reads why, not only which signal did it.
    expect(start.stdout).toMatch(/aborted \(stalled/);
    expect((await runCli(ws, ['show'])).stdout).toMatch(/outcome: aborted \(stalled/);
    const list = JSON.parse((await runCli(ws, ['list', '--json'])).stdout) as Array<{
      outcome: string;
      reason: string;
    }>;
    expect(list[0]).toMatchObject({ outcome: 'aborted', reason: 'stalled' });
  });
});
