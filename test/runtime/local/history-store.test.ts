// Proves the history index is read newest-first from its end: `list --limit N` gets the newest N
// of 20k runs (and the newest N of an outcome) without listing history/, a repeated line counts
// once, a torn last line is skipped, a line lost in a crash between the record and its line is
// appended by the process that finalises the run again, and a deleted index is rebuilt.
import { appendFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../../machine/types.ts';
import { getHistory, listHistory, recordHistory } from '../../../runtime/local/history-store.ts';
import { layoutOf } from '../../../runtime/local/layout.ts';
import { resolveRun } from '../../../shells/api/run-resolver.ts';
import { fixtureOutcome, fixtureRunId, writeHistoryFixture } from '../../helpers/history-fixture.ts';

const count = 20_000;
const dirs: string[] = [];
function fixture(n = count): string {
  const base = mkdtempSync(join(tmpdir(), 'rw-history-'));
  dirs.push(base);
  const ws = join(base, 'runs');
  writeHistoryFixture(ws, n);
  return ws;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const newest = (n: number, from = count) => Array.from({ length: n }, (_, i) => fixtureRunId(from - 1 - i));

function entryOf(runId: string, endedAt: number): HistoryEntry {
  const record = getHistory(layoutOf(fixture(1)), fixtureRunId(0));
  if (record === null) throw new Error('fixture record unreadable');
  return { ...record, runId, endedAt, config: { ...record.config, runId } };
}

describe('the history index', () => {
  it('gives the newest N of 20k runs, and the newest N of an outcome, without listing history/', () => {
    const ws = fixture();
    const layout = layoutOf(ws);
    expect(listHistory(layout, { limit: 50 }).map((s) => s.id)).toEqual(newest(50));
    const failed = listHistory(layout, { limit: 30, outcomes: ['failed'] });
    expect(failed).toHaveLength(30);
    expect(failed.every((s) => s.outcome === 'failed')).toBe(true);
    const wantFailed = newest(count).filter((_, i) => fixtureOutcome(count - 1 - i) === 'failed');
    expect(failed.map((s) => s.id)).toEqual(wantFailed.slice(0, 30));
    expect(listHistory(layout)).toHaveLength(count);
    expect(resolveRun(layout, fixtureRunId(123), 'latest')).toBe(fixtureRunId(123));
    // history/ moved away: the index alone answers (the old code listed history/ and rebuilt).
    renameSync(layout.historyDir, `${layout.historyDir}.away`);
    expect(listHistory(layout, { limit: 3 }).map((s) => s.id)).toEqual(newest(3));
    renameSync(`${layout.historyDir}.away`, layout.historyDir);
  });

  it('counts a repeated line once and skips a torn last line', () => {
    const ws = fixture(10);
    const layout = layoutOf(ws);
    const lines = readFileSync(layout.historyIndex, 'utf8').trimEnd().split('\n');
    appendFileSync(layout.historyIndex, `${lines[9]}\n${lines[9]?.slice(0, 40)}`);
    expect(listHistory(layout, { limit: 3 }).map((s) => s.id)).toEqual(newest(3, 10));
    expect(listHistory(layout)).toHaveLength(10);
  });

  it('gets back a line lost between the record and its line, from the run finalised again', () => {
    const ws = fixture(100);
    const layout = layoutOf(ws);
    const entry = entryOf('run-late', 1_800_000_000_000);
    expect(recordHistory(layout, entry).ok).toBe(true);
    const withLine = readFileSync(layout.historyIndex, 'utf8');
    expect(listHistory(layout, { limit: 1 })[0]?.id).toBe('run-late');
    // The crash: the record is published, its index line never written.
    const lines = withLine.trimEnd().split('\n');
    writeFileSync(layout.historyIndex, `${lines.slice(0, -1).join('\n')}\n`);
    expect(listHistory(layout, { limit: 1 })[0]?.id).toBe(fixtureRunId(99));
    // Recovery finalises the run again: the record is there, the missing line is appended once.
    expect(recordHistory(layout, entry).ok).toBe(true);
    expect(readFileSync(layout.historyIndex, 'utf8')).toBe(withLine);
    expect(recordHistory(layout, entry).ok).toBe(true);
    expect(readFileSync(layout.historyIndex, 'utf8')).toBe(withLine);
    expect(listHistory(layout, { limit: 2 }).map((s) => s.id)).toEqual(['run-late', fixtureRunId(99)]);
  });

  it('rebuilds a deleted index from history/, newest last', () => {
    const ws = fixture(500);
    const layout = layoutOf(ws);
    rmSync(layout.historyIndex);
    expect(listHistory(layout, { limit: 5 }).map((s) => s.id)).toEqual(newest(5, 500));
    expect(readFileSync(layout.historyIndex, 'utf8').trimEnd().split('\n')).toHaveLength(500);
    expect(listHistory(layout)).toHaveLength(500);
  });
});
