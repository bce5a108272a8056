// Proves the state view's routes with inject(): the statechart names every state node of the
// machine in its Mermaid text, a run's journal comes back entry by entry, a missing run or journal
// is 404 and a bad id 400; the stream's snapshot carries the machine's dotted state; Mermaid's
// bundle is served from this origin.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BuiltApp } from '../../../shells/http/app.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { call, codeOf, testApp } from './helpers.ts';

let built: (BuiltApp & { ws: string }) | null = null;

afterEach(async () => {
  await built?.app.close();
  built = null;
});

/** Write a journal of three transitions for run `id` (as the session writes them). */
function writeJournal(ws: string, id: string): void {
  mkdirSync(join(ws, id), { recursive: true });
  const lines = [
    {
      t: '2024-01-01T00:00:00.000Z',
      pid: 11,
      from: 'idle',
      to: 'starting.locking',
      event: 'run.start',
      detail: null,
    },
    {
      t: '2024-01-01T00:00:01.000Z',
      pid: 11,
      from: 'live.running.healthy',
      to: 'claiming',
      event: 'process.exited',
      detail: 'code 3',
      context: { exitCode: 3, abort: null },
    },
    {
      t: '2024-01-01T00:00:02.000Z',
      pid: 11,
      from: 'finalizing.releasing',
      to: 'idle',
      event: 'x',
      detail: null,
    },
  ];
  writeFileSync(join(ws, id, 'lifecycle.ndjson'), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
}

describe('the state view routes', () => {
  it('answer the statechart: Mermaid text that names every state node, and the list of them', async () => {
    built = testApp();
    const res = await call(built, { method: 'GET', url: '/api/statechart' });
    expect(res.statusCode).toBe(200);
    const chart = res.json() as { mermaid: string; states: string[] };
    expect(chart.mermaid.startsWith('stateDiagram-v2\n')).toBe(true);
    expect(chart.states).toContain('runwarden.live.running.healthy');
    expect(chart.states).toContain('runwarden.idle');
    expect(chart.states).not.toContain('runwarden');
    for (const state of chart.states) expect(chart.mermaid).toContain(` as ${state.replaceAll('.', '_')}\n`);
  });

  it("answer a run's journal entry by entry, with the context when an entry has one", async () => {
    built = testApp();
    writeJournal(built.ws, 'train-1');
    const res = await call(built, { method: 'GET', url: '/api/runs/train-1/journal' });
    expect(res.statusCode).toBe(200);
    const entries = res.json() as { seq: number; to: string; event: string; detail: string | null }[];
    expect(entries.map((e) => [e.seq, e.to])).toEqual([
      [1, 'starting.locking'],
      [2, 'claiming'],
      [3, 'idle'],
    ]);
    expect(entries[1]).toMatchObject({
      from: 'live.running.healthy',
      event: 'process.exited',
      detail: 'code 3',
    });
  });

  it('refuse a run that is gone or has no journal (404) and a bad id (400)', async () => {
    built = testApp();
    const app = built;
    const gone = await call(app, { method: 'GET', url: '/api/runs/train-404/journal' });
    expect([gone.statusCode, codeOf(gone)]).toEqual([404, 'RW_NOT_FOUND']);
    mkdirSync(join(app.ws, 'train-empty'), { recursive: true });
    const none = await call(app, { method: 'GET', url: '/api/runs/train-empty/journal' });
    expect([none.statusCode, codeOf(none)]).toEqual([404, 'RW_NOT_FOUND']);
    for (const bad of ['.hidden', '..%2F..%2Fetc', 'a%20b', 'x'.repeat(129)]) {
      const res = await call(app, { method: 'GET', url: `/api/runs/${bad}/journal` });
      expect([bad, res.statusCode, codeOf(res)]).toEqual([bad, 400, 'RW_BAD_REQUEST']);
    }
  });

  it('are guarded like the rest of the API (Host allowlist, same origin)', async () => {
    built = testApp();
    const host = await call(built, {
      method: 'GET',
      url: '/api/statechart',
      headers: { host: 'evil.example' },
    });
    expect(codeOf(host)).toBe('RW_HOST_NOT_ALLOWED');
    const cross = await call(built, {
      method: 'GET',
      url: '/api/runs/train-1/journal',
      headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    });
    expect(codeOf(cross)).toBe('RW_CROSS_SITE');
  });

  it("put the machine's dotted state in the snapshot the stream starts with", async () => {
    built = testApp();
    const app = built;
    const snapshot = await waitFor(
      async () => {
        const body = (await call(app, { method: 'GET', url: '/api/status' })).json() as {
          status: { state: string };
          machineState: string;
        };
        return body.status.state === 'idle' ? body : null;
      },
      { timeoutMs: 10_000, description: 'idle' },
    );
    expect(snapshot.machineState).toBe('idle');
  });

  it("serve Mermaid's browser bundle from this origin under the assets' CSP", async () => {
    built = testApp();
    const res = await call(built, { method: 'GET', url: '/vendor/mermaid.min.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/javascript/);
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.body).toContain('globalThis["mermaid"]');
    const page = await call(built, { method: 'GET', url: '/' });
    expect(page.headers['content-security-policy']).toContain("script-src 'self';");
  });
});
