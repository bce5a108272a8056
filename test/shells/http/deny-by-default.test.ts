// The table of issue 11: every route of the app × every way of spelling its path, sent without a
// token on a real socket (raw node:net, so the request target reaches the server unmodified) and
// through inject(). Each answer must be a refusal (400/401/403) in the error format with the
// security headers, and no run may start. With the token, the plain spelling works (the control).
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicRoutes } from '../../../shells/http/security.ts';
import { type RunningServer, startServer } from '../../../shells/http/server.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { killJobs, tempWorkspace } from './helpers.ts';
import { type RawReply, rawRequest } from './raw-http.ts';

const token = 'table-test-token-0123456789abcdef';
let server: RunningServer;
let ws: string;
let marker: string;

beforeAll(async () => {
  ws = tempWorkspace();
  marker = join(mkdtempSync(join(tmpdir(), 'rw-marker-')), 'ran');
  server = await startServer({ workspace: ws, port: 0, token, limits: { loginDelayBaseMs: 0 } });
});
afterAll(async () => {
  await killJobs(ws);
  await server.close();
});

/** The spellings of a path the router or a proxy might read as the same route. */
function spellings(path: string, port: number): Record<string, string> {
  const rest = path.replace(/^\/api\//, '');
  return {
    plain: path,
    'percent-encoded prefix': `/%61pi/${rest}`,
    'percent-encoded prefix (p)': `/a%70i/${rest}`,
    'percent-encoded prefix (i)': `/ap%69/${rest}`,
    'mixed-case encoding': `/%41P%49/${rest}`,
    'encoded slash, mixed case': `/api%2F${rest.replace('/', '%2f')}`,
    'double encoding': `/%2561pi/${rest}`,
    'bad encoding': `/%zzpi/${rest}`,
    'absolute-form': `http://127.0.0.1:${port}${path}`,
    '//api': `/${path}`,
    'trailing dot': `${path}.`,
    'dot after prefix': `/api./${rest}`,
    'dot segment': `/x/..${path}`,
  };
}

/** A body for each POST route: the start would leave `marker` behind if it ever ran. */
function bodyOf(route: string): string | undefined {
  if (route === 'POST /api/runs') {
    return JSON.stringify({
      argv: [process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x')`],
    });
  }
  if (route === 'POST /api/abort') return '{}';
  if (route === 'POST /api/login') return JSON.stringify({ token: 'wrong-token-0123456789' });
  return undefined;
}

/** Every route that is not public, plus two that do not exist, as [route, method, path]. */
function protectedRoutes(routes: readonly string[]): [string, string, string][] {
  const keys = routes.filter((r) => !r.startsWith('HEAD ') && !publicRoutes.has(r));
  return [...new Set([...keys, 'GET /api/no-such-route', 'DELETE /api/runs/:id'])].map((key) => {
    const [method = '', pattern = ''] = key.split(' ');
    return [key, method, pattern.replaceAll(':id', 'x-1')];
  });
}

/** The checks every refusal passes: status, error format, security headers. */
function refusalOf(reply: { status: number; headers: Record<string, unknown>; body: string }) {
  let code = '';
  try {
    code = String((JSON.parse(reply.body) as { error?: { code?: string } }).error?.code ?? '');
  } catch {
    code = `not JSON: ${reply.body.slice(0, 80)}`;
  }
  return {
    refused: [400, 401, 403].includes(reply.status),
    code: /^RW_[A-Z_]+$/.test(code) ? 'RW_*' : code,
    nosniff: reply.headers['x-content-type-options'],
    frame: reply.headers['x-frame-options'],
  };
}

const refused = { refused: true, code: 'RW_*', nosniff: 'nosniff', frame: 'DENY' };

describe('deny by default: every route × every spelling, without a token', () => {
  it('covers every registered route (the table is generated from the app, not written by hand)', async () => {
    const { buildApp } = await import('../../../shells/http/app.ts');
    const probe = buildApp({ workspace: tempWorkspace(), token, allowedHosts: ['127.0.0.1'] });
    await probe.app.ready();
    const keys = protectedRoutes(probe.routes).map(([k]) => k);
    await probe.app.close();
    for (const must of ['POST /api/runs', 'POST /api/abort', 'GET /api/events', 'GET /api/runs/:id/logs'])
      expect(keys).toContain(must);
    expect(keys.length).toBeGreaterThanOrEqual(10);
  });

  it('refuses each one on a real socket (raw request target) with 400/401/403, and no run starts', async () => {
    const { buildApp } = await import('../../../shells/http/app.ts');
    const probe = buildApp({ workspace: tempWorkspace(), token, allowedHosts: ['127.0.0.1'] });
    await probe.app.ready();
    const table = protectedRoutes(probe.routes);
    await probe.app.close();
    const results: Record<string, unknown>[] = [];
    for (const [route, method, path] of table) {
      for (const [spelling, target] of Object.entries(spellings(path, server.port))) {
        const body = bodyOf(route);
        const reply: RawReply = await rawRequest(server.port, {
          method,
          target,
          ...(body === undefined ? {} : { body }),
        });
        results.push({ route, spelling, target, status: reply.status, ...refusalOf(reply) });
      }
    }
    const wrong = results.filter((r) => r.refused !== true || r.code !== 'RW_*' || r.nosniff !== 'nosniff');
    expect(wrong).toEqual([]);
    expect(results.length).toBeGreaterThan(100);
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(ws) ? readdirSync(ws).filter((n) => !n.startsWith('.')) : []).toEqual([]);
  });

  it('refuses each one through inject() too', async () => {
    const { buildApp } = await import('../../../shells/http/app.ts');
    const probe = buildApp({ workspace: tempWorkspace(), token, allowedHosts: ['127.0.0.1'] });
    await probe.app.ready();
    const table = protectedRoutes(probe.routes);
    await probe.app.close();
    const wrong: unknown[] = [];
    for (const [route, method, path] of table) {
      for (const [spelling, target] of Object.entries(spellings(path, server.port))) {
        const body = bodyOf(route);
        const res = await server.app.inject({
          method: method as 'GET',
          url: target,
          headers: {
            host: `127.0.0.1:${server.port}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { payload: body }),
        });
        const checked = refusalOf({ status: res.statusCode, headers: res.headers, body: res.body });
        if (JSON.stringify(checked) !== JSON.stringify(refused)) wrong.push({ route, spelling, ...checked });
      }
    }
    expect(wrong).toEqual([]);
    expect(existsSync(marker)).toBe(false);
  });

  it('answers a path segment too long for the router in the error format, with the headers', async () => {
    const reply = await rawRequest(server.port, { method: 'GET', target: `/api/runs/${'a'.repeat(300)}` });
    expect([reply.status, refusalOf(reply).code, reply.headers['x-content-type-options']]).toEqual([
      414,
      'RW_*',
      'nosniff',
    ]);
  });

  it('lets the plain spelling through with the token (the control: the table can fail)', async () => {
    const bearer = { Authorization: `Bearer ${token}` };
    const status = await rawRequest(server.port, { method: 'GET', target: '/api/status', headers: bearer });
    expect(status.status).toBe(200);
    const page = await rawRequest(server.port, { method: 'GET', target: '/' });
    expect(page.status).toBe(200);
    const start = await rawRequest(server.port, {
      method: 'POST',
      target: '/api/runs',
      headers: bearer,
      body: bodyOf('POST /api/runs'),
    });
    expect(start.status).toBe(201);
    await waitFor(() => existsSync(marker), {
      timeoutMs: 20_000,
      description: 'the started job to write its marker',
    });
  });
});
