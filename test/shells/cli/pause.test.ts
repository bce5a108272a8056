// Issue 14 with real processes: `pause` stops the job's group (its /proc state is T, its output
// stops), status shows `paused` in text and JSON, a `--stall-after` window shorter than the pause
// does not make it stalled, `continue` lets it go on; an abort of a paused run still ends it by
// its SIGINT (the job's Ctrl-C handler runs), not by the SIGKILL after the grace.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/wait-for.ts';
import { activePids, runCli, useWorkspaces } from './run-cli.ts';

const { workspace } = useWorkspaces();

const procState = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
};
const lines = (dir: string) =>
  readFileSync(join(dir, 'stdout.log'), 'utf8').split('\n').filter(Boolean).length;
// Prints a line every 100 ms; on SIGINT prints "saved on SIGINT" and exits 130.
const ticker = [
  'sh',
  '-c',
  "trap 'echo saved on SIGINT; exit 130' INT; while :; do echo tick; sleep 0.1; done",
];

describe('runwarden pause / continue', () => {
  it('stops the group, shows paused, keeps the stall timer still, and continues', async () => {
    const ws = workspace();
    const started = await runCli(ws, ['start', '--json', '--stall-after', '1s', '--', ...ticker]);
    const run = JSON.parse(started.stdout) as { id: string; dir: string; pid: number };
    await waitFor(() => lines(run.dir) >= 3, { timeoutMs: 20_000, description: 'ticks' });

    const paused = await runCli(ws, ['pause']);
    expect(paused.stderr).toBe('');
    expect(paused.stdout).toContain(`paused ${run.id}`);
    expect(paused.stdout).toContain('keeps its GPU memory');
    await waitFor(() => procState(run.pid) === 'T', {
      timeoutMs: 10_000,
      description: 'the job stopped (state T)',
    });
    const frozen = lines(run.dir);
    // Longer than the stall window (1 s): waited on the wall clock, by condition (status says paused).
    const since = Date.now();
    await waitFor(() => Date.now() - since > 2_000, { timeoutMs: 10_000, intervalMs: 100 });
    const status = JSON.parse((await runCli(ws, ['status', '--json'])).stdout) as { state: string };
    expect(status.state).toBe('paused');
    expect((await runCli(ws, ['status'])).stdout).toContain('paused');
    expect(lines(run.dir)).toBe(frozen);

    const cont = await runCli(ws, ['continue']);
    expect(cont.stdout).toContain(`continued ${run.id}`);
    await waitFor(() => lines(run.dir) > frozen + 2, {
      timeoutMs: 20_000,
      description: 'ticks after continue',
    });
    expect(JSON.parse((await runCli(ws, ['status', '--json'])).stdout).state).toBe('running');
    expect((await runCli(ws, ['continue'])).code).toBe(3);
  });

  it('an abort of a paused run ends it by SIGINT (SIGCONT is sent with it)', async () => {
    const ws = workspace();
    const started = await runCli(ws, ['start', '--json', '--grace', '20s', '--', ...ticker]);
    const run = JSON.parse(started.stdout) as { id: string; dir: string; pid: number };
    await waitFor(() => lines(run.dir) >= 2, { timeoutMs: 20_000, description: 'ticks' });
    expect((await runCli(ws, ['pause'])).code).toBe(0);
    expect(activePids(ws)).toContain(run.pid);
    const before = Date.now();
    const abort = await runCli(ws, ['abort', '--json']);
    const record = JSON.parse(abort.stdout) as {
      outcome: string;
      exitCode: number | null;
      signal: string | null;
    };
    expect(record).toMatchObject({ outcome: 'aborted', exitCode: 130, signal: null });
    // Well inside the 20 s grace: the SIGINT acted, no SIGKILL was needed.
    expect(Date.now() - before).toBeLessThan(15_000);
    expect(readFileSync(join(run.dir, 'stdout.log'), 'utf8')).toContain('saved on SIGINT');
  });
});
