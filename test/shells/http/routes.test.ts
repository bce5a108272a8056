// Proves every JSON route and its error codes with inject() on a real workspace and real jobs:
// start, conflict, status, run detail, logs, a double abort that aborts once, history, bad input.
import { afterEach, describe, expect, it } from 'vitest';
import type { BuiltApp } from '../../../shells/http/app.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { call, codeOf, killJobs, testApp, trainArgv } from './helpers.ts';

let built: (BuiltApp & { ws: string }) | null = null;

afterEach(async () => {
  if (built !== null) {
    await killJobs(built.ws);
    await built.app.close();
    built = null;
  }
});

const json = (payload: unknown) => ({ 'content-type': 'application/json', payload: JSON.stringify(payload) });

/** The state of the workspace as GET /api/status reports it. */
async function stateOf(app: BuiltApp): Promise<string> {
  const res = await call(app, { method: 'GET', url: '/api/status' });
  return (res.json() as { status: { state: string } }).status.state;
}

describe('the JSON routes', () => {
  it('report an idle workspace, then start a run, refuse a second, abort once, and keep its history', async () => {
    built = testApp();
    const app = built;
    await waitFor(async () => (await stateOf(app)) === 'idle', { timeoutMs: 10_000, description: 'idle' });

    const { payload } = json({ argv: trainArgv(1000, 50), name: 'train', graceMs: 5_000 });
    const started = await call(app, {
      method: 'POST',
      url: '/api/runs',
      payload,
      headers: { 'content-type': 'application/json' },
    });
    expect(started.statusCode).toBe(201);
    const run = started.json() as { id: string; pid: number };
    expect(run.id).toMatch(/^train-/);

    const again = await call(app, {
      method: 'POST',
      url: '/api/runs',
      payload,
      headers: { 'content-type': 'application/json' },
    });
    expect(again.statusCode).toBe(409);
    expect(codeOf(again)).toBe('RW_CONFLICT');

    await waitFor(async () => (await stateOf(app)) === 'running', {
      timeoutMs: 10_000,
      description: 'running',
    });
    const detail = await waitFor(
      async () => {
        const res = await call(app, { method: 'GET', url: `/api/runs/${run.id}` });
        const body = res.json() as { active: boolean; progress: { step: number | null } | null };
        return body.active && (body.progress?.step ?? 0) > 0 ? body : null;
      },
      { timeoutMs: 10_000, description: 'progress of the active run' },
    );
    expect(detail.active).toBe(true);

    const logs = await waitFor(
      async () => {
        const res = await call(app, { method: 'GET', url: `/api/runs/${run.id}/logs?tail=2` });
        const body = res.json() as { lines: string[] };
        return body.lines.length === 2 ? body : null;
      },
      { timeoutMs: 10_000, description: 'two log lines' },
    );
    expect(logs.lines[0]).toMatch(/^step \d+/);
    const range = await call(app, { method: 'GET', url: `/api/runs/${run.id}/logs?from=0&bytes=5` });
    expect((range.json() as { text: string }).text).toBe('step ');

    const abort = () =>
      call(app, {
        method: 'POST',
        url: '/api/abort',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ runId: run.id }),
      });
    const [first, second] = await Promise.all([abort(), abort()]);
    expect([first.statusCode, second.statusCode].sort()).toEqual([200, 202]);
    expect((second.json() as { status: { state: string } }).status.state).toBe('aborting');

    await waitFor(async () => (await stateOf(app)) === 'idle', {
      timeoutMs: 15_000,
      description: 'idle again',
    });
    const late = await abort();
    expect(late.statusCode).toBe(409);
    expect(codeOf(late)).toBe('RW_NO_ACTIVE_RUN');

    const list = await waitFor(
      async () => {
        const res = await call(app, { method: 'GET', url: '/api/runs' });
        const body = res.json() as { runs: { id: string; outcome: string }[] };
        return body.runs.length === 1 ? body : null;
      },
      { timeoutMs: 10_000, description: 'the history record' },
    );
    expect(list.runs[0]).toMatchObject({ id: run.id, outcome: 'aborted' });
    const ended = await call(app, { method: 'GET', url: `/api/runs/${run.id}` });
    expect(ended.json()).toMatchObject({ active: false, state: 'ended', record: { outcome: 'aborted' } });
  });

  it('refuse bad input with 400 RW_BAD_REQUEST before any handler runs', async () => {
    built = testApp();
    const bad: [string, string, unknown][] = [
      ['POST', '/api/runs', { argv: 'sleep 600' }],
      ['POST', '/api/runs', { argv: [] }],
      ['POST', '/api/runs', { argv: [''] }],
      ['POST', '/api/runs', { argv: ['sleep', '1'], shell: true }],
      ['POST', '/api/runs', { argv: ['/bin/echo', 'a\u0000b'] }],
      ['POST', '/api/runs', { argv: ['/bin/ec\u0000ho'] }],
      ['POST', '/api/runs', { argv: ['sleep', '1'], name: '../x' }],
      ['POST', '/api/runs', { argv: ['sleep', '1'], graceMs: -1 }],
      ['POST', '/api/runs', { argv: ['sleep', '1'], retention: { aborted: 'shred' } }],
      ['POST', '/api/abort', { force: 'yes please' }],
      ['POST', '/api/abort', { runId: '../../etc' }],
      ['GET', '/api/runs/..%2F..%2Fetc', undefined],
      ['GET', '/api/runs/.hidden', undefined],
      ['GET', '/api/runs?limit=0', undefined],
      ['GET', '/api/runs?outcome=exploded', undefined],
      ['GET', '/api/runs/x/logs?stream=stdin', undefined],
      ['GET', '/api/runs/x/logs?tail=2&from=0', undefined],
      ['GET', '/api/events?since=x&extra=1', undefined],
    ];
    for (const [method, url, body] of bad) {
      const res = await call(built, {
        method: method as 'GET' | 'POST',
        url,
        ...(body === undefined
          ? {}
          : { payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
      expect({ method, url, status: res.statusCode, code: codeOf(res) }).toEqual({
        method,
        url,
        status: 400,
        code: 'RW_BAD_REQUEST',
      });
    }
  });

  it('answer unknown runs with 404 RW_NOT_FOUND, unknown routes with 404 RW_ROUTE_NOT_FOUND', async () => {
    built = testApp();
    const run = await call(built, { method: 'GET', url: '/api/runs/nope-20250101T000000Z-abcd' });
    expect([run.statusCode, codeOf(run)]).toEqual([404, 'RW_NOT_FOUND']);
    const logs = await call(built, { method: 'GET', url: '/api/runs/nope/logs' });
    expect([logs.statusCode, codeOf(logs)]).toEqual([404, 'RW_NOT_FOUND']);
    const route = await call(built, { method: 'DELETE', url: '/api/runs' });
    expect([route.statusCode, codeOf(route)]).toEqual([404, 'RW_ROUTE_NOT_FOUND']);
  });

  it('refuse an oversized body with 413 and a non-JSON body with 415', async () => {
    built = testApp({ limits: { bodyBytesMax: 1024 } });
    const big = await call(built, {
      method: 'POST',
      url: '/api/runs',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ argv: ['echo', 'x'.repeat(2048)] }),
    });
    expect([big.statusCode, codeOf(big)]).toEqual([413, 'RW_BODY_TOO_LARGE']);
    const form = await call(built, {
      method: 'POST',
      url: '/api/runs',
      headers: { 'content-type': 'text/plain' },
      payload: 'argv=sleep',
    });
    expect([form.statusCode, codeOf(form)]).toEqual([415, 'RW_UNSUPPORTED_MEDIA']);
  });

  it('answer an abort with no active run with 409 RW_NO_ACTIVE_RUN', async () => {
    built = testApp();
    const res = await call(built, {
      method: 'POST',
      url: '/api/abort',
      headers: { 'content-type': 'application/json' },
      payload: '{}',
    });
    expect([res.statusCode, codeOf(res)]).toEqual([409, 'RW_NO_ACTIVE_RUN']);
  });
});
