// Proves that reading commands write nothing: 50 `status` calls (and a few `list`) against a
// live run leave its lifecycle journal exactly as it was, and idle `status` creates no file.
// A journal line records a transition; a process that boots, recovers and re-attaches to the
// same live run has made none.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, useWorkspaces } from './run-cli.ts';

const { workspace } = useWorkspaces();

describe('reading commands', () => {
  it('append nothing to a live run’s journal: 50 status calls leave lifecycle.ndjson unchanged', async () => {
    const ws = workspace();
    const start = await runCli(ws, ['start', '--json', '--', 'sleep', '120']);
    expect(start.code, start.stderr).toBe(0);
    const { id, dir } = JSON.parse(start.stdout) as { id: string; dir: string };
    const journal = join(dir, 'lifecycle.ndjson');
    const before = readFileSync(journal);
    expect(before.length).toBeGreaterThan(0);
    for (let i = 0; i < 50; i++) {
      const status = await runCli(ws, i % 2 === 0 ? ['status'] : ['status', '--json']);
      expect(status.code, status.stderr).toBe(0);
    }
    for (let i = 0; i < 3; i++) expect((await runCli(ws, ['list'])).code).toBe(0);
    expect(statSync(journal).size).toBe(before.length);
    expect(readFileSync(journal)).toEqual(before);
    // A transition is still written: the forced abort's lines follow the start's.
    expect((await runCli(ws, ['abort', '--force', '--json'])).code).toBe(0);
    const inspect = await runCli(ws, ['inspect', id, '--json']);
    const events = (JSON.parse(inspect.stdout) as { event: string }[]).map((e) => e.event);
    expect(events).toContain('run.force');
  }, 180_000);

  it('write no file in an idle workspace', async () => {
    const ws = workspace();
    const start = await runCli(ws, ['start', '--json', '--', 'true']);
    expect(start.code, start.stderr).toBe(0);
    expect((await runCli(ws, ['status'])).code).toBe(0);
    const snapshot = () =>
      readdirSync(ws, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => {
          const path = join(e.parentPath, e.name);
          return `${path} ${statSync(path).size}`;
        })
        .sort();
    const before = snapshot();
    for (let i = 0; i < 5; i++) expect((await runCli(ws, ['status'])).code).toBe(0);
    expect((await runCli(ws, ['list'])).code).toBe(0);
    expect(snapshot()).toEqual(before);
  }, 120_000);
});
