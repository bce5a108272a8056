// Proves the README's quick start works exactly as written: each line runs in a shell from the
// repository (as a new user would after npm ci), against a temporary workspace, and exits 0.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { activePids, alive, killAll, repoRoot, tempWorkspace } from './shells/cli/run-cli.ts';

const readme = readFileSync(`${repoRoot}README.md`, 'utf8');
const block =
  /<!-- quickstart[^>]*-->\s*```sh\n([\s\S]*?)```\s*<!-- \/quickstart -->/.exec(readme)?.[1] ?? '';
const lines = block.split('\n').filter((line) => line.trim() !== '');
const ws = tempWorkspace();

afterAll(async () => {
  const pids = activePids(ws);
  await killAll(pids);
  expect(pids.filter(alive)).toEqual([]);
});

describe("the README's quick start", () => {
  it('has lines to run', () => {
    expect(lines.length).toBeGreaterThanOrEqual(5);
    expect(lines.every((line) => line.startsWith('npx runwarden '))).toBe(true);
  });

  it('runs line by line with exit 0, and ends with the two runs in the history', () => {
    for (const line of lines) {
      const result = spawnSync('bash', ['-c', line], {
        cwd: repoRoot,
        env: { ...process.env, RUNWARDEN_WORKSPACE: ws, NO_COLOR: '1' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect({ line, code: result.status, stderr: result.stderr }).toEqual({ line, code: 0, stderr: '' });
    }
    const list = spawnSync('bash', ['-c', 'npx runwarden list --json'], {
      cwd: repoRoot,
      env: { ...process.env, RUNWARDEN_WORKSPACE: ws },
      encoding: 'utf8',
    });
    const runs = JSON.parse(list.stdout) as Array<{ outcome: string }>;
    expect(runs.map((r) => r.outcome)).toEqual(['aborted', 'finished']);
  });
});
