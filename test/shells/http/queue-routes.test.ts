// Issue 12 over HTTP, with real jobs on a real workspace of 2 slots: POST /api/runs with
// `queue: true`, the queue routes and their edits, GET /api/slots, GET /api/status's slots/runs/queue,
// per-run abort (a queued run ends without a process, a live one aborts), bad input refused by
// the schemas or the library, and the `queue` / `slots` events on the stream (real socket).
// Every process the app starts inherits a tag; each test ends them all by PID and checks.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openWorkspace } from '../../../shells/api/workspace.ts';
import type { BuiltApp } from '../../../shells/http/app.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { killPids, taggedPids, tagVar } from '../cli/queue-helpers.ts';
import { call, codeOf, tempWorkspace, testApp } from './helpers.ts';
import { openSse, type SseClient } from './sse-client.ts';

vi.setConfig({ testTimeout: 180_000 });

let built: (BuiltApp & { ws: string }) | null = null;
let client: SseClient | null = null;
const tag = randomBytes(6).toString('hex');
process.env[tagVar] = tag;

afterEach(async () => {
  client?.close();
  client = null;
  if (built !== null) await built.app.close();
  built = null;
  for (let round = 0; round < 5 && taggedPids(tag).length > 0; round++) await killPids(taggedPids(tag));
  expect(taggedPids(tag)).toEqual([]);
});

/** An app on a fresh workspace of `slots` plain slots, looking at the queue every 100 ms. */
async function appWithSlots(slots: number) {
  const ws = tempWorkspace();
  await openWorkspace(ws).configureSlots({ count: slots });
  built = testApp({ workspace: ws, queuePollMs: 100 });
  return built;
}

const post = (app: BuiltApp, url: string, body?: unknown) =>
  call(app, {
    method: 'POST',
    url,
    ...(body === undefined
      ? {}
      : { payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
const get = (app: BuiltApp, url: string) => call(app, { method: 'GET', url });

interface QueueJson {
  hold: { reason: string } | null;
  entries: { runId: string; position: number; priority: number; held: boolean; waitingFor: string[] }[];
}

describe('the queue routes', () => {
  it('submit, list, edit, abort queued and live runs, and report every slot', async () => {
    const app = await appWithSlots(2);
    const submitted = [];
    for (const name of ['one', 'two', 'three']) {
      const res = await post(app, '/api/runs', { argv: ['sleep', '60'], name, queue: true });
      expect(res.statusCode, res.body).toBe(201);
      submitted.push(res.json() as { id: string; state: string; position: number | null; slots: string[] });
    }
    const [one, two, three] = submitted as [
      (typeof submitted)[0],
      (typeof submitted)[0],
      (typeof submitted)[0],
    ];
    expect([one.state, two.state, three.state]).toEqual(['started', 'started', 'queued']);
    expect(three.position).toBe(1);
    expect([...one.slots, ...two.slots].sort()).toEqual(['slot0', 'slot1']);

    const queue = (await get(app, '/api/queue')).json() as QueueJson;
    expect(queue.hold).toBeNull();
    expect(queue.entries.map((e) => [e.runId, e.position])).toEqual([[three.id, 1]]);
    expect(queue.entries[0]?.waitingFor.length).toBeGreaterThan(0);

    const slots = (await get(app, '/api/slots')).json() as {
      slots: { name: string; runId: string | null }[];
    };
    expect(slots.slots.map((s) => s.name)).toEqual(['slot0', 'slot1']);
    expect(slots.slots.map((s) => s.runId).sort()).toEqual([one.id, two.id].sort());

    const status = (await get(app, '/api/status')).json() as {
      status: { state: string };
      slots: unknown[];
      runs: { id: string }[];
      queue: { waiting: number; held: number };
    };
    expect(status.slots).toHaveLength(2);
    expect(status.runs.map((r) => r.id).sort()).toEqual([one.id, two.id].sort());
    expect(status.queue).toMatchObject({ waiting: 1, held: 0 });
    // Either run, whatever its slot, is active in its detail view.
    for (const run of [one, two]) {
      const detail = (await get(app, `/api/runs/${run.id}`)).json() as {
        active: boolean;
        run: { id: string } | null;
      };
      expect(detail.active, run.id).toBe(true);
      expect(detail.run?.id).toBe(run.id);
    }

    const moved = await post(app, `/api/queue/${three.id}/move`, { priority: 4 });
    expect(moved.statusCode, moved.body).toBe(200);
    expect((moved.json() as QueueJson).entries[0]?.priority).toBe(4);
    const held = (await post(app, `/api/queue/${three.id}/hold`)).json() as QueueJson;
    expect(held.entries[0]?.held).toBe(true);
    const released = (await post(app, `/api/queue/${three.id}/release`)).json() as QueueJson;
    expect(released.entries[0]?.held).toBe(false);
    expect(((await post(app, '/api/queue/pause')).json() as QueueJson).hold?.reason).toBe('paused');
    expect(((await post(app, '/api/queue/resume')).json() as QueueJson).hold).toBeNull();

    // A started run cannot be edited as a queued one.
    const editStarted = await post(app, `/api/queue/${one.id}/move`, { priority: 1 });
    expect(editStarted.statusCode).toBe(409);

    // Abort of the queued run: 200, recorded aborted without a process.
    const abortQueued = await post(app, `/api/runs/${three.id}/abort`);
    expect(abortQueued.statusCode, abortQueued.body).toBe(200);
    expect(abortQueued.json()).toMatchObject({
      id: three.id,
      state: 'aborted',
      record: { outcome: 'aborted', reason: 'aborted-in-queue' },
    });
    expect(((await get(app, '/api/queue')).json() as QueueJson).entries).toEqual([]);

    // Abort of one live run of two: 202, and only that one ends.
    const abortLive = await post(app, `/api/runs/${two.id}/abort`, { force: true });
    expect(abortLive.statusCode, abortLive.body).toBe(202);
    await waitFor(
      async () => {
        const s = (await get(app, '/api/status')).json() as { runs: { id: string }[] };
        return s.runs.length === 1 && s.runs[0]?.id === one.id;
      },
      { timeoutMs: 60_000, intervalMs: 100, description: 'only run one to be active' },
    );
    const gone = await post(app, `/api/runs/${three.id}/abort`);
    expect(gone.statusCode).toBe(404);
    expect(codeOf(gone)).toBe('RW_NOT_FOUND');
  });

  it('refuses bad input with 400 (or 404), and queues nothing', async () => {
    const app = await appWithSlots(1);
    const bad: [string, unknown][] = [
      ['/api/runs', { argv: ['true'], queue: true, gpus: 'two' }],
      ['/api/runs', { argv: ['true'], queue: true, priority: 5000 }],
      ['/api/runs', { argv: ['true'], queue: true, after: ['../etc'] }],
      ['/api/runs', { argv: ['true'], priority: 3 }], // queue fields without queue: true
      // cwd is a start field since issue 18 (dashboard start with cwd/env); a malformed one is still refused.
      ['/api/runs', { argv: ['true'], queue: true, cwd: '' }],
      ['/api/runs', { argv: ['true'], queue: true, cwd: 'a\u0000b' }],
      ['/api/queue/x/move', { priority: 'high' }],
      ['/api/queue/x/move', {}],
      ['/api/runs/x/abort', { runId: 'y' }],
    ];
    for (const [url, body] of bad) {
      const res = await post(app, url, body);
      expect(res.statusCode, `${url} ${JSON.stringify(body)}: ${res.body}`).toBe(400);
      expect(codeOf(res)).toBe('RW_BAD_REQUEST');
    }
    // The library's refusals: GPUs on a workspace without GPU slots, an unknown --after run.
    for (const body of [
      { argv: ['true'], queue: true, gpus: 1 },
      { argv: ['true'], queue: true, after: ['no-such-run'] },
    ]) {
      const res = await post(app, '/api/runs', body);
      expect(res.statusCode, `${JSON.stringify(body)}: ${res.body}`).toBe(400);
    }
    for (const url of [
      '/api/queue/no-such-run/rm',
      '/api/queue/no-such-run/release',
      '/api/runs/no-such-run/abort',
    ]) {
      const res = await post(app, url);
      expect(res.statusCode, `${url}: ${res.body}`).toBe(404);
    }
    expect(((await get(app, '/api/queue')).json() as QueueJson).entries).toEqual([]);
    expect(((await get(app, '/api/status')).json() as { runs: unknown[] }).runs).toEqual([]);
  });

  it('streams queue and slots events as runs are queued, start and end', async () => {
    const app = await appWithSlots(1);
    await app.app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    client = await openSse(port);
    const stream = client;
    const snapshot = await stream.next((f) => f.event === 'snapshot', 'the snapshot', 60_000);
    expect(snapshot.data).toHaveProperty('slots');
    const first = (await post(app, '/api/runs', { argv: ['sleep', '1'], queue: true })).json() as {
      id: string;
    };
    const second = (await post(app, '/api/runs', { argv: ['sleep', '60'], queue: true })).json() as {
      id: string;
      state: string;
    };
    expect(second.state).toBe('queued');
    await stream.next(
      (f) => f.event === 'queue' && (f.data as QueueJson).entries.some((e) => e.runId === second.id),
      'a queue event with the queued run',
      60_000,
    );
    await stream.next(
      (f) =>
        f.event === 'slots' &&
        (f.data as { slots: { runId: string | null }[] }).slots.some((s) => s.runId === first.id),
      'a slots event with the first run on its slot',
      60_000,
    );
    // When the first ends, the second takes the slot (the server's look dispatches): both seen.
    await stream.next(
      (f) =>
        f.event === 'slots' &&
        (f.data as { slots: { runId: string | null }[] }).slots.some((s) => s.runId === second.id),
      'a slots event with the second run on the slot',
      60_000,
    );
    await stream.next(
      (f) => f.event === 'queue' && (f.data as QueueJson).entries.length === 0,
      'a queue event with the queue empty',
      60_000,
    );
  });
});
