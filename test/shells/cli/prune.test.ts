// Issue 14: nothing is deleted by default, and `runwarden prune` deletes what its policy names,
// oldest ended first, saying what it frees: a dry run deletes nothing and lists the same runs the
// real run then deletes; a live run and the newest checkpoint of a resumable run are never
// touched; history records survive; a budget stops deleting once it is met; bad input exits 2.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, useWorkspaces } from './run-cli.ts';

const { workspace } = useWorkspaces();

interface Report {
  dryRun: boolean;
  deleted: { runId: string; bytes: number }[];
  kept: { runId: string; keptBecause: string }[];
  freedBytes: number;
  usedBytesBefore: number;
  usedBytesAfter: number;
}

/** Start a run that writes `kb` KiB to stdout and ends with `code`; returns its id once ended. */
async function endedRun(ws: string, name: string, code: number, kb = 64, extra = ''): Promise<string> {
  const script = `head -c ${kb * 1024} /dev/zero | tr '\\0' x; echo; ${extra} exit ${code}`;
  const started = await runCli(ws, ['start', '--json', '--watch', '--name', name, '--', 'sh', '-c', script]);
  expect(started.stderr).toBe('');
  const list = JSON.parse((await runCli(ws, ['list', '--json'])).stdout) as { id: string; name: string }[];
  const run = list.find((r) => r.name === name);
  if (run === undefined) throw new Error(`run ${name} not in the history: ${JSON.stringify(list)}`);
  return run.id;
}

async function prune(ws: string, args: string[]): Promise<Report> {
  const result = await runCli(ws, ['prune', '--json', ...args]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as Report;
}

describe('runwarden prune', () => {
  it('keeps every directory by default; a dry run lists what the real run then deletes, oldest first', async () => {
    const ws = workspace();
    const failed1 = await endedRun(ws, 'f1', 3);
    const ok = await endedRun(ws, 'ok', 0);
    const failed2 = await endedRun(ws, 'f2', 4);
    // Default retention: a failed run's directory and logs are all still there.
    for (const id of [failed1, ok, failed2]) expect(existsSync(join(ws, id, 'stdout.log'))).toBe(true);

    const dry = await prune(ws, ['--outcome', 'failed,aborted', '--dry-run']);
    expect(dry.dryRun).toBe(true);
    expect(dry.deleted.map((d) => d.runId)).toEqual([failed1, failed2]);
    expect(dry.freedBytes).toBeGreaterThanOrEqual(2 * 64 * 1024);
    for (const id of [failed1, ok, failed2]) expect(existsSync(join(ws, id))).toBe(true);
    const human = await runCli(ws, ['prune', '--outcome', 'failed', '--dry-run']);
    expect(human.stdout).toContain('would delete 2 run directories:');
    expect(human.stdout).toMatch(/would free \d+(\.\d)? KiB/);

    const real = await prune(ws, ['--outcome', 'failed,aborted']);
    expect(real.deleted.map((d) => d.runId)).toEqual(dry.deleted.map((d) => d.runId));
    expect(real.freedBytes).toBe(dry.freedBytes);
    expect(existsSync(join(ws, failed1))).toBe(false);
    expect(existsSync(join(ws, failed2))).toBe(false);
    expect(existsSync(join(ws, ok, 'stdout.log'))).toBe(true);
    // History survives: list and show still have every run, and the journal moved beside it.
    const list = JSON.parse((await runCli(ws, ['list', '--json'])).stdout) as { id: string }[];
    expect(list.map((r) => r.id).sort()).toEqual([failed1, ok, failed2].sort());
    const show = await runCli(ws, ['show', failed1]);
    expect(show.stdout).toContain('dir:     deleted (by its retention or runwarden prune)');
    expect(existsSync(join(ws, 'history', `${failed1}.lifecycle.ndjson`))).toBe(true);
    expect((await runCli(ws, ['inspect', failed1])).code).toBe(0);
  });

  it('never deletes a live run, nor the directory with a resumable run newest checkpoint; --keep-last and a budget', async () => {
    const ws = workspace();
    const old = await endedRun(ws, 'old', 1, 128);
    // An aborted-like failed run whose record names a checkpoint inside its own directory.
    const withCkpt = await endedRun(
      ws,
      'ckpt',
      1,
      16,
      `mkdir -p "$RUNWARDEN_RUN_DIR/ck"; echo w > "$RUNWARDEN_RUN_DIR/ck/step-7.pt"; echo "Saving checkpoint to $RUNWARDEN_RUN_DIR/ck/step-7.pt";`,
    );
    const mid = await endedRun(ws, 'mid', 1, 128);
    const newest = await endedRun(ws, 'newest', 1, 128);
    const live = await runCli(ws, ['start', '--json', '--name', 'live', '--', 'sleep', '60']);
    const liveId = (JSON.parse(live.stdout) as { id: string }).id;

    const all = await prune(ws, ['--outcome', 'failed', '--keep-last', '1', '--dry-run']);
    expect(all.deleted.map((d) => d.runId)).toEqual([old, mid]);
    expect(all.kept).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ runId: newest, keptBecause: expect.stringContaining('--keep-last') }),
        expect.objectContaining({ runId: withCkpt, keptBecause: expect.stringContaining('checkpoint') }),
      ]),
    );
    expect(JSON.stringify(all)).not.toContain(liveId);

    // A budget just below what is used: only the oldest goes, then the budget is met.
    const budget = all.usedBytesBefore - 1;
    const byBudget = await prune(ws, ['--budget', String(budget)]);
    expect(byBudget.deleted.map((d) => d.runId)).toEqual([old]);
    expect(byBudget.usedBytesAfter).toBeLessThanOrEqual(budget);
    expect(existsSync(join(ws, mid))).toBe(true);
    expect(existsSync(join(ws, liveId))).toBe(true);
    expect(existsSync(join(ws, withCkpt, 'ck', 'step-7.pt'))).toBe(true);

    // The same budget from the workspace's settings file.
    writeFileSync(join(ws, 'workspace.json'), JSON.stringify({ diskBudgetBytes: 1 }));
    const fromSettings = await prune(ws, []);
    expect(fromSettings.deleted.map((d) => d.runId).sort()).toEqual([mid, newest].sort());
    expect(existsSync(join(ws, liveId, 'config.json'))).toBe(true);
    expect(existsSync(join(ws, withCkpt, 'ck', 'step-7.pt'))).toBe(true);
    expect((await runCli(ws, ['abort', '--force'])).code).toBe(0);
  });

  it('refuses a prune without a policy and a bad budget with one line and exit 2, deleting nothing', async () => {
    const ws = workspace();
    const id = await endedRun(ws, 'f', 2, 1);
    const none = await runCli(ws, ['prune']);
    expect(none.code).toBe(2);
    expect(none.stderr.trim().split('\n')).toHaveLength(1);
    expect(none.stderr).toContain(
      'prune needs a policy: pass --outcome, --older-than, --keep-last or --budget',
    );
    const badSize = await runCli(ws, ['prune', '--budget', 'lots']);
    expect(badSize.code).toBe(2);
    expect(badSize.stderr).toContain("invalid size 'lots': use e.g. 1G, 500M, 64K or a number of bytes");
    const badOutcome = await runCli(ws, ['prune', '--outcome', 'failed,lost']);
    expect(badOutcome.code).toBe(2);
    expect(badOutcome.stderr).toContain("invalid outcome 'lost'");
    mkdirSync(ws, { recursive: true });
    writeFileSync(join(ws, 'workspace.json'), JSON.stringify({ diskBudgetBytes: '5G' }));
    const badSettings = await runCli(ws, ['prune']);
    // A bad settings file is the user's to fix, like every RW_CONFIG_INVALID: exit 2.
    expect(badSettings.code).toBe(2);
    expect(badSettings.stderr).toContain('diskBudgetBytes must be a positive whole number of bytes');
    expect(readdirSync(ws)).toContain(id);
    expect(existsSync(join(ws, id, 'stdout.log'))).toBe(true);
  });
});
