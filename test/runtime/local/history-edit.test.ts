// Proves issue 17's record facts and edits on the real history store: a record keeps the params
// (start's, then the job's `params` events) and exact metric statistics of its events file; a
// tag/note edit replaces the record atomically and appends an `edited` index line that takes the
// run's original place (filters see the edit, the order does not change); a re-finaliser after a
// lost index line still appends it despite an edit line; a stale edit lock is taken over; and the
// raw-bytes pre-filter never hides a run whose edited line matches.
import { mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../../machine/types.ts';
import {
  editHistoryRecord,
  getHistory,
  listHistory,
  recordHistory,
} from '../../../runtime/local/history-store.ts';
import { layoutOf } from '../../../runtime/local/layout.ts';
import { compareRuns } from '../../../shells/api/compare.ts';
import { fixtureEntry } from '../../helpers/history-fixture.ts';

/** A fresh workspace with runs 0..n-1 recorded (run i's events: params {i} and `loss` values). */
function workspaceWith(n: number, entryOf: (i: number) => HistoryEntry = fixtureEntry) {
  const ws = join(mkdtempSync(join(tmpdir(), 'rw-hedit-')), 'runs');
  const layout = layoutOf(ws);
  mkdirSync(ws, { recursive: true });
  const entries: HistoryEntry[] = [];
  for (let i = 0; i < n; i++) {
    const entry = entryOf(i);
    mkdirSync(layout.runDir(entry.runId), { recursive: true });
    const events = [
      { kind: 'params', params: { i, nested: { depth: i + 1 } } },
      { kind: 'metric', name: 'loss', value: 2, step: 10 },
      { kind: 'metric', name: 'loss', value: 0.5 + i, step: 20 },
      { kind: 'metric', name: 'loss', value: 'NaN', step: 30 },
      { kind: 'metric', name: 'loss', value: 4, step: 40 },
    ];
    writeFileSync(
      layout.runFile(entry.runId, 'events'),
      `${events.map((e) => JSON.stringify(e)).join('\n')}\n`,
    );
    const written = recordHistory(layout, entry);
    if (!written.ok) throw new Error(written.error.message);
    entries.push(entry);
  }
  return { ws, layout, entries };
}

const ids = (summaries: readonly { id: string }[]) => summaries.map((s) => s.id);

describe('record facts', () => {
  it("keep start params under the job's params events, and exact metric statistics", () => {
    const { layout, entries } = workspaceWith(1, (i) => {
      const e = fixtureEntry(i);
      return { ...e, config: { ...e.config, params: { lr: '0.1', i: 'from-cli' }, tags: ['a'] } };
    });
    const record = getHistory(layout, entries[0]?.runId ?? '');
    expect(record?.params).toEqual({ lr: '0.1', i: 0, 'nested.depth': 1 });
    expect(record?.tags).toEqual(['a']);
    expect(record?.metricStats?.loss).toEqual({
      last: { value: 4, step: 40, n: 4 },
      min: { value: 0.5, step: 20, n: 2 },
      max: { value: 4, step: 40, n: 4 },
      count: 4,
    });
    expect(listHistory(layout)[0]).toMatchObject({
      tags: ['a'],
      metrics: { loss: 4 },
      params: { lr: '0.1', i: 0 },
    });
  });
});

describe('record edits', () => {
  it('replace the record and keep the run in its place in the list, with filters seeing the edit', async () => {
    const { layout, entries } = workspaceWith(3);
    const [a, b, c] = entries.map((e) => e.runId);
    const edited = await editHistoryRecord(layout, b ?? '', (r) => ({ ...r, tags: ['best'] }));
    expect(edited.ok).toBe(true);
    expect(getHistory(layout, b ?? '')?.tags).toEqual(['best']);
    expect(ids(listHistory(layout))).toEqual([c, b, a]);
    expect(ids(listHistory(layout, { tags: ['best'] }))).toEqual([b]);
    expect(ids(listHistory(layout, { limit: 2 }))).toEqual([c, b]);
    // Untagged again: the raw look must not let the original (untagged) line stand for it.
    await editHistoryRecord(layout, b ?? '', (r) => ({ ...r, tags: [] }));
    expect(ids(listHistory(layout, { tags: ['best'] }))).toEqual([]);
    const lines = readFileSync(layout.historyIndex, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(JSON.parse(lines[4] ?? '{}')).toMatchObject({ id: b, edited: true });
  });

  it('a run whose original index line was lost is appended again by its re-finaliser, despite an edit line', async () => {
    const { layout, entries } = workspaceWith(2);
    const [a, b] = entries;
    // Lose b's original line (a crash between the record and its line), then edit b.
    const lines = readFileSync(layout.historyIndex, 'utf8').trim().split('\n');
    writeFileSync(layout.historyIndex, `${lines[0]}\n`);
    await editHistoryRecord(layout, b?.runId ?? '', (r) => ({ ...r, note: 'x' }));
    expect(ids(listHistory(layout))).toEqual([a?.runId]);
    if (b === undefined) throw new Error('no b');
    expect(recordHistory(layout, b).ok).toBe(true);
    expect(ids(listHistory(layout))).toEqual([b.runId, a?.runId]);
  });

  it('takes over an edit lock left by a process that died mid-edit, and refuses a run with no record', async () => {
    const { layout, entries } = workspaceWith(1);
    const id = entries[0]?.runId ?? '';
    const lock = `${layout.historyRecord(id)}.edit`;
    writeFileSync(lock, '999999\n');
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    const edited = await editHistoryRecord(layout, id, (r) => ({ ...r, note: 'after a crash' }));
    expect(edited.ok && edited.value.note).toBe('after a crash');
    const missing = await editHistoryRecord(layout, 'nosuch', (r) => r);
    expect(missing.ok ? null : missing.error.code).toBe('RW_NOT_FOUND');
  });
});

describe('compare', () => {
  it('counts runs of one lineage as one: joined statistics, summed duration, every member named', () => {
    // Issue 14's shape: a restart's config names its parent and the lineage (the first run's id).
    const { layout, entries } = workspaceWith(3, (i) => {
      const e = fixtureEntry(i);
      const lineage = { parentId: fixtureEntry(0).runId, lineageId: fixtureEntry(0).runId, restartCount: 1 };
      return i === 1 ? { ...e, config: { ...e.config, lineage } as HistoryEntry['config'] } : e;
    });
    const [first, resumed, other] = entries.map((e) => e.runId);
    const c = compareRuns(layout, [resumed ?? '', other ?? '']);
    expect(c.runs.map((r) => [r.id, r.members])).toEqual([
      [resumed, [first, resumed]],
      [other, [other]],
    ]);
    expect(c.runs[0]?.durationMs).toBe(1000);
    // Run 0: 2, 0.5, NaN, 4; run 1: 2, 1.5, NaN, 4 — joined, ordinals continue.
    expect(c.metrics[0]?.values[0]).toEqual({
      last: { value: 4, step: 40, n: 8 },
      min: { value: 0.5, step: 20, n: 2 },
      max: { value: 4, step: 40, n: 4 },
      count: 8,
      exact: true,
    });
    // Naming two runs of one lineage compares it once.
    expect(compareRuns(layout, [first ?? '', resumed ?? '', other ?? '']).runs).toHaveLength(2);
    expect(listHistory(layout, { lineage: first ?? '' }).map((s) => s.id)).toEqual([resumed, first]);
  });
});
