// Issue 17 over HTTP with inject(): GET /api/compare gives the numbers of the runs' events files
// (records finalised by the real recordHistory from real run directories), tag and note edits
// change the record and the list, bad input is a 400 naming the field, and the token guards the edits.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../../machine/types.ts';
import { getHistory, recordHistory } from '../../../runtime/local/history-store.ts';
import { layoutOf } from '../../../runtime/local/layout.ts';
import type { BuiltApp } from '../../../shells/http/app.ts';
import { fixtureEntry } from '../../helpers/history-fixture.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { call, codeOf, killJobs, tempWorkspace, testApp } from './helpers.ts';

let built: (BuiltApp & { ws: string }) | null = null;
afterEach(async () => {
  await built?.app.close();
  built = null;
});

/** A run ended with `losses` reported as metric events (step = index + 1) and `params`. */
function endedRun(
  ws: string,
  i: number,
  losses: readonly number[],
  params: Record<string, unknown>,
): HistoryEntry {
  const layout = layoutOf(ws);
  const entry = fixtureEntry(i);
  mkdirSync(layout.runDir(entry.runId), { recursive: true });
  const events = [
    { kind: 'params', params },
    ...losses.map((value, n) => ({ kind: 'metric', name: 'loss', value, step: n + 1 })),
  ];
  writeFileSync(
    layout.runFile(entry.runId, 'events'),
    `${events.map((e) => JSON.stringify(e)).join('\n')}\n`,
  );
  const written = recordHistory(layout, entry);
  if (!written.ok) throw new Error(written.error.message);
  return entry;
}

describe('GET /api/compare', () => {
  it("answers each run's loss last/min/max with steps, as the events files hold them", async () => {
    const ws = tempWorkspace();
    mkdirSync(ws, { recursive: true });
    const a = endedRun(ws, 1, [3, 1.5, 2, 0.5, 0.75], { lr: 0.1 });
    const b = endedRun(ws, 2, [4, 5, 0.25], { lr: 0.2 });
    built = testApp({ workspace: ws });
    const res = await call(built, { method: 'GET', url: `/api/compare?runs=${a.runId},${b.runId}` });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.runs.map((r: { id: string }) => r.id)).toEqual([a.runId, b.runId]);
    expect(body.metrics).toEqual([
      {
        name: 'loss',
        values: [
          {
            last: { value: 0.75, step: 5, n: 5 },
            min: { value: 0.5, step: 4, n: 4 },
            max: { value: 3, step: 1, n: 1 },
            count: 5,
            exact: true,
          },
          {
            last: { value: 0.25, step: 3, n: 3 },
            min: { value: 0.25, step: 3, n: 3 },
            max: { value: 5, step: 2, n: 2 },
            count: 3,
            exact: true,
          },
        ],
      },
    ]);
    expect(body.params).toEqual([{ name: 'lr', values: [0.1, 0.2], differs: true }]);
  });

  it('refuses one run, a bad id and an unknown run', async () => {
    const ws = tempWorkspace();
    mkdirSync(ws, { recursive: true });
    const a = endedRun(ws, 1, [1], {});
    built = testApp({ workspace: ws });
    const one = await call(built, { method: 'GET', url: `/api/compare?runs=${a.runId}` });
    expect([one.statusCode, codeOf(one)]).toEqual([400, 'RW_BAD_REQUEST']);
    const bad = await call(built, { method: 'GET', url: `/api/compare?runs=${a.runId},../etc` });
    expect(bad.statusCode).toBe(400);
    const unknown = await call(built, { method: 'GET', url: `/api/compare?runs=${a.runId},nosuch` });
    expect([unknown.statusCode, codeOf(unknown)]).toEqual([404, 'RW_NOT_FOUND']);
  });
});

describe('POST /api/runs/:id/tags and /note', () => {
  it('edits the record and the list sees the tags at once', async () => {
    const ws = tempWorkspace();
    mkdirSync(ws, { recursive: true });
    const a = endedRun(ws, 1, [1], {});
    built = testApp({ workspace: ws });
    const tagged = await call(built, {
      method: 'POST',
      url: `/api/runs/${a.runId}/tags`,
      payload: { add: ['best', 'keep'] },
    });
    expect([tagged.statusCode, tagged.json()]).toEqual([200, { id: a.runId, tags: ['best', 'keep'] }]);
    const untagged = await call(built, {
      method: 'POST',
      url: `/api/runs/${a.runId}/tags`,
      payload: { remove: ['keep'] },
    });
    expect(untagged.json().tags).toEqual(['best']);
    const noted = await call(built, {
      method: 'POST',
      url: `/api/runs/${a.runId}/note`,
      payload: { note: 'the good one' },
    });
    expect(noted.json()).toEqual({ id: a.runId, note: 'the good one' });
    expect(getHistory(layoutOf(ws), a.runId)).toMatchObject({ tags: ['best'], note: 'the good one' });
    const list = await call(built, { method: 'GET', url: '/api/runs?limit=5' });
    expect(list.json().runs[0]).toMatchObject({ id: a.runId, tags: ['best'] });
  });

  it('refuses a bad tag, an empty edit, a control character and an unknown run', async () => {
    const ws = tempWorkspace();
    mkdirSync(ws, { recursive: true });
    const a = endedRun(ws, 1, [1], {});
    built = testApp({ workspace: ws });
    const url = `/api/runs/${a.runId}/tags`;
    const badTag = await call(built, { method: 'POST', url, payload: { add: ['has space'] } });
    expect([badTag.statusCode, codeOf(badTag)]).toEqual([400, 'RW_BAD_REQUEST']);
    const empty = await call(built, { method: 'POST', url, payload: {} });
    expect([empty.statusCode, codeOf(empty)]).toEqual([400, 'RW_BAD_REQUEST']);
    const control = await call(built, {
      method: 'POST',
      url: `/api/runs/${a.runId}/note`,
      payload: { note: 'a\u001bb' },
    });
    expect([control.statusCode, codeOf(control)]).toEqual([400, 'RW_USAGE']);
    const unknown = await call(built, {
      method: 'POST',
      url: '/api/runs/nosuch/tags',
      payload: { add: ['x'] },
    });
    expect([unknown.statusCode, codeOf(unknown)]).toEqual([404, 'RW_NOT_FOUND']);
    expect(getHistory(layoutOf(ws), a.runId)?.tags).toEqual([]);
  });

  it('needs the token when the server has one, and a same-origin request', async () => {
    const ws = tempWorkspace();
    mkdirSync(ws, { recursive: true });
    const a = endedRun(ws, 1, [1], {});
    const token = 'a-long-enough-secret-token';
    built = testApp({ workspace: ws, token });
    const url = `/api/runs/${a.runId}/tags`;
    const bare = await call(built, { method: 'POST', url, payload: { add: ['x'] } });
    expect(bare.statusCode).toBe(401);
    const crossSite = await call(built, {
      method: 'POST',
      url,
      payload: { add: ['x'] },
      headers: {
        authorization: `Bearer ${token}`,
        origin: 'https://evil.example',
        'sec-fetch-site': 'cross-site',
      },
    });
    expect(crossSite.statusCode).toBe(403);
    const ok = await call(built, {
      method: 'POST',
      url,
      payload: { add: ['x'] },
      headers: { authorization: `Bearer ${token}` },
    });
    expect(ok.statusCode).toBe(200);
    const compare = await call(built, { method: 'GET', url: `/api/compare?runs=${a.runId},${a.runId}` });
    expect(compare.statusCode).toBe(401);
  });
});

describe('POST /api/runs with labels', () => {
  it('starts a run whose record keeps its tags, note and params, and refuses a bad tag starting nothing', async () => {
    const ws = tempWorkspace();
    built = testApp({ workspace: ws });
    try {
      const bad = await call(built, {
        method: 'POST',
        url: '/api/runs',
        payload: { argv: [process.execPath, '-e', '0'], tags: ['has space'] },
      });
      expect([bad.statusCode, codeOf(bad)]).toEqual([400, 'RW_USAGE']);
      expect(existsSync(layoutOf(ws).lock)).toBe(false);
      const started = await call(built, {
        method: 'POST',
        url: '/api/runs',
        payload: {
          argv: [process.execPath, '-e', '0'],
          tags: ['web'],
          note: 'from the dashboard',
          params: { lr: '0.1' },
        },
      });
      expect(started.statusCode).toBe(201);
      const { id } = started.json() as { id: string };
      const record = await waitFor(() => getHistory(layoutOf(ws), id), {
        timeoutMs: 30_000,
        description: 'the run recorded',
      });
      expect(record).toMatchObject({ tags: ['web'], note: 'from the dashboard', params: { lr: '0.1' } });
      // The server's start captured a card too: GET /api/runs/:id/card serves it once written.
      const app = built;
      const card = await waitFor(
        async () => {
          const res = await call(app, { method: 'GET', url: `/api/runs/${id}/card` });
          return res.statusCode === 200 ? (res.json() as { argv: string[] }) : null;
        },
        { timeoutMs: 30_000, description: 'the run card' },
      );
      expect(card.argv).toEqual([process.execPath, '-e', '0']);
      const none = await call(app, { method: 'GET', url: '/api/runs/nosuch/card' });
      expect([none.statusCode, codeOf(none)]).toEqual([404, 'RW_NOT_FOUND']);
    } finally {
      await killJobs(ws);
    }
  });
});
