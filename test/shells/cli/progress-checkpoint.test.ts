// Proves a live run's progress is read once, not on every look: the first `status` of a run with
// megabytes of events writes the run's progress checkpoint (progress.ckpt.json, a cache beside
// the events file), the next ones read only what was appended (the counts stay exact), an
// `abort` records the end from it, and a run with little progress gets no checkpoint at all.
import { appendFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, useWorkspaces } from './run-cli.ts';

const { workspace } = useWorkspaces();

function appendEvents(path: string, from: number, count: number): void {
  const lines: string[] = [];
  for (let i = from; i < from + count; i++)
    lines.push(JSON.stringify({ kind: 'progress', step: i, total: 1_000_000 }));
  appendFileSync(path, `${lines.join('\n')}\n`);
}

describe('progress checkpoint', () => {
  it('status writes it after a long read and then reads only new events; abort records from it', async () => {
    const ws = workspace();
    const start = await runCli(ws, ['start', '--json', '--', 'sleep', '120']);
    expect(start.code, start.stderr).toBe(0);
    const { dir } = JSON.parse(start.stdout) as { dir: string };
    const events = join(dir, 'events.ndjson');
    const checkpoint = join(dir, 'progress.ckpt.json');
    appendEvents(events, 0, 100);
    expect((await runCli(ws, ['status', '--json'])).code).toBe(0);
    expect(existsSync(checkpoint)).toBe(false); // a small read leaves no cache behind
    appendEvents(events, 100, 49_900);
    const first = await runCli(ws, ['status', '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout).run.progress.step).toBe(49_999);
    expect(existsSync(checkpoint)).toBe(true);
    const saved = JSON.parse(readFileSync(checkpoint, 'utf8')) as { events: { offset: number } };
    expect(saved.events.offset).toBe(statSync(events).size);
    appendEvents(events, 50_000, 10);
    const second = await runCli(ws, ['status', '--json']);
    expect(JSON.parse(second.stdout).run.progress.step).toBe(50_009);
    // A few appended lines are not worth rewriting the cache.
    expect(readFileSync(checkpoint, 'utf8')).toBe(JSON.stringify(saved));
    const aborted = await runCli(ws, ['abort', '--force', '--json']);
    expect(aborted.code, aborted.stderr).toBe(0);
    const show = await runCli(ws, ['show', '--json']);
    expect(JSON.parse(show.stdout).progress.step).toBe(50_009);
  });
});
