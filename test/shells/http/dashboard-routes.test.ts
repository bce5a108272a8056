// Proves the routes the rebuilt dashboard reads (issue 18) through inject() on a real workspace
// directory: every metric point by byte offset (complete lines only, torn and foreign lines
// skipped, NaN as null), a search through the whole log (each line's last '\r' state), the raw log
// byte for byte as a download, GET /api/features naming only the optional routes that exist, and
// the start body's cwd/env refused when malformed.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BuiltApp } from '../../../shells/http/app.ts';
import { optionalRoutes } from '../../../shells/http/routes/run-series.ts';
import { call, codeOf, testApp } from './helpers.ts';

const apps: BuiltApp[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.app.close();
});

/** An app on a workspace holding run `r1` with the given files (its config makes it a run). */
function withRun(files: Record<string, string | Buffer>): BuiltApp & { ws: string; dir: string } {
  const built = testApp();
  apps.push(built);
  const dir = join(built.ws, 'r1');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ runId: 'r1', name: 'r1', argv: ['x'] }));
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  return { ...built, dir };
}

const metric = (name: string, value: unknown, step: number, t = '2026-01-01T00:00:00.000Z') =>
  `${JSON.stringify({ t, kind: 'metric', name, value, step })}\n`;

describe('the dashboard routes', () => {
  it('sends every metric point from a byte offset, complete lines only', async () => {
    const lines = [
      metric('loss', 2, 1),
      metric('learning_rate', 0.001, 1),
      '{"t":"2026-01-01T00:00:01.000Z","kind":"progress","step":1}\n',
      'not json at all\n',
      metric('loss', 'NaN', 2),
      metric('loss', 1.5, 3, '2026-01-01T00:00:02.500Z'),
    ].join('');
    const torn = '{"t":"2026-01-01T00:00:03.000Z","kind":"metric","name":"loss","val';
    const built = withRun({ 'events.ndjson': lines + torn });
    const first = await call(built, { method: 'GET', url: '/api/runs/r1/metrics' });
    expect(first.statusCode).toBe(200);
    const body = first.json() as {
      from: number;
      to: number;
      size: number;
      metrics: Record<string, unknown[]>;
    };
    expect(body.from).toBe(0);
    expect(body.to).toBe(Buffer.byteLength(lines));
    expect(body.size).toBe(Buffer.byteLength(lines + torn));
    expect(body.metrics).toEqual({
      loss: [
        [1, Date.parse('2026-01-01T00:00:00.000Z'), 2],
        [2, Date.parse('2026-01-01T00:00:00.000Z'), null],
        [3, Date.parse('2026-01-01T00:00:02.500Z'), 1.5],
      ],
      learning_rate: [[1, Date.parse('2026-01-01T00:00:00.000Z'), 0.001]],
    });
    // The job finishes the torn line: the next read from `to` gets exactly that point.
    appendFileSync(join(built.dir, 'events.ndjson'), 'ue":1.25,"step":4}\n');
    const next = (
      await call(built, { method: 'GET', url: `/api/runs/r1/metrics?from=${body.to}` })
    ).json() as typeof body;
    expect(next.metrics).toEqual({ loss: [[4, Date.parse('2026-01-01T00:00:03.000Z'), 1.25]] });
    expect(next.to).toBe(next.size);
    // Nothing new: an empty answer at the end.
    const end = (
      await call(built, { method: 'GET', url: `/api/runs/r1/metrics?from=${next.to}` })
    ).json() as typeof body;
    expect(end).toEqual({ from: next.to, to: next.to, size: next.size, metrics: {} });
  });

  it('answers a run without events with no metrics, an unknown run with 404, a bad offset with 400', async () => {
    const built = withRun({});
    expect((await call(built, { method: 'GET', url: '/api/runs/r1/metrics' })).json()).toEqual({
      from: 0,
      to: 0,
      size: 0,
      metrics: {},
    });
    const missing = await call(built, { method: 'GET', url: '/api/runs/nope/metrics' });
    expect(missing.statusCode).toBe(404);
    expect(codeOf(missing)).toBe('RW_NOT_FOUND');
    const bad = await call(built, { method: 'GET', url: '/api/runs/r1/metrics?from=-1' });
    expect(bad.statusCode).toBe(400);
  });

  it('searches a whole log by line, each line in its last \\r state, case-insensitively', async () => {
    const log = [
      'first line',
      'train: 10%\rtrain: 50%\rtrain: 100% DONE',
      '\u001b[31mRed Alert\u001b[0m',
      'last',
    ].join('\n');
    const built = withRun({ 'stdout.log': `${log}\n` });
    const res = await call(built, { method: 'GET', url: '/api/runs/r1/logs/search?q=done' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ stream: 'stdout', q: 'done', total: 1, partial: false });
    expect((res.json() as { matches: unknown[] }).matches).toEqual([{ line: 2, text: 'train: 100% DONE' }]);
    // An earlier redraw is not what the line shows: not found.
    expect(
      (await call(built, { method: 'GET', url: '/api/runs/r1/logs/search?q=50%25' })).json(),
    ).toMatchObject({
      total: 0,
    });
    // Colour codes do not hide text from a search.
    expect(
      (await call(built, { method: 'GET', url: '/api/runs/r1/logs/search?q=red%20alert' })).json(),
    ).toMatchObject({
      total: 1,
    });
    expect((await call(built, { method: 'GET', url: '/api/runs/r1/logs/search' })).statusCode).toBe(400);
    const gone = await call(built, { method: 'GET', url: '/api/runs/r1/logs/search?q=x&stream=stderr' });
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toMatchObject({ error: { code: 'RW_NOT_FOUND' } });
  });

  it('sends the raw log byte for byte as a download', async () => {
    const raw = Buffer.concat([
      Buffer.from('ok\r\n\u001b[31mred\u001b[0m\rbar\n'),
      Buffer.from([0xff, 0xfe, 0x0a]),
    ]);
    const built = withRun({ 'stderr.log': raw });
    const res = await call(built, { method: 'GET', url: '/api/runs/r1/logs/raw?stream=stderr' });
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload.equals(raw)).toBe(true);
    expect(res.headers['content-disposition']).toBe('attachment; filename="r1-stderr.log"');
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect((await call(built, { method: 'GET', url: '/api/runs/r1/logs/raw?stream=other' })).statusCode).toBe(
      400,
    );
  });

  it('names the optional routes the server has, and only those', async () => {
    const built = testApp();
    apps.push(built);
    const none = (await call(built, { method: 'GET', url: '/api/features' })).json() as { routes: string[] };
    expect(none.routes.every((r) => (optionalRoutes as readonly string[]).includes(r))).toBe(true);
    // The queue routes (issue 12, shells/http/routes/queue.ts) are real now: the page is told of them.
    expect(none.routes).toContain('GET /api/queue');
    expect(none.routes).toContain('POST /api/queue/:id/move');
    // An optional route no merged branch registers yet is named only once a server has it.
    expect(none.routes).not.toContain('POST /api/checkpoint');
    const other = testApp();
    apps.push(other);
    other.app.post('/api/checkpoint', async () => ({ ok: true }));
    const some = (await call(other, { method: 'GET', url: '/api/features' })).json() as { routes: string[] };
    expect(some.routes).toContain('POST /api/checkpoint');
    expect(some.routes.length).toBe(none.routes.length + 1);
  });

  it('refuses a malformed cwd or environment in a start', async () => {
    const built = testApp();
    apps.push(built);
    for (const body of [
      { argv: ['true'], cwd: '' },
      { argv: ['true'], cwd: 'a\u0000b' },
      { argv: ['true'], env: { '1BAD': 'x' } },
      { argv: ['true'], env: { GOOD: { nested: 'x' } } },
      { argv: ['true'], env: { GOOD: 'a\u0000b' } },
    ]) {
      const res = await call(built, { method: 'POST', url: '/api/runs', payload: body });
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(codeOf(res)).toBe('RW_BAD_REQUEST');
    }
  });
});
