// Proves each security measure with inject() (and a real loopback socket where only Node's parser
// or a real stream can show it): Host allowlist, same-origin on every verb, the token and its
// cookie, loopback by default, run-id allowlist, realpath log reads, header limit, SSE caps.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BuiltApp } from '../../../shells/http/app.ts';
import { checkBinding, isLoopback } from '../../../shells/http/options.ts';
import { startServer } from '../../../shells/http/server.ts';
import { tokenMatches } from '../../../shells/http/token.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { call, codeOf, tempWorkspace, testApp } from './helpers.ts';
import { openSse, type SseClient } from './sse-client.ts';

const opened: { close(): Promise<void> | void }[] = [];
const testToken = 'a-long-enough-secret-token';
const bearer = { authorization: `Bearer ${testToken}` };
afterEach(async () => {
  for (const item of opened.splice(0).reverse()) await item.close();
});

/** A test app closed after the test. */
function app(options: Parameters<typeof testApp>[0] = {}): BuiltApp & { ws: string } {
  const built = testApp(options);
  opened.push({ close: () => built.app.close() });
  return built;
}

describe('the Host allowlist', () => {
  it('refuses a foreign Host on every method and path with 403 RW_HOST_NOT_ALLOWED', async () => {
    const built = app();
    for (const [method, url] of [
      ['GET', '/api/status'],
      ['POST', '/api/runs'],
      ['DELETE', '/api/runs/x'],
      ['OPTIONS', '/api/abort'],
      ['GET', '/'],
      ['GET', '/api/events'],
    ] as const) {
      const res = await call(built, { method, url, headers: { host: 'attacker.example:7077' } });
      expect({ method, url, status: res.statusCode, code: codeOf(res) }).toEqual({
        method,
        url,
        status: 403,
        code: 'RW_HOST_NOT_ALLOWED',
      });
    }
    const ok = await call(built, { method: 'GET', url: '/api/status', headers: { host: 'localhost:7077' } });
    expect(ok.statusCode).toBe(200);
  });
});

describe('the same-origin checks', () => {
  it('refuse a cross-site Origin or Sec-Fetch-Site on every verb, including DELETE and the event stream', async () => {
    const built = app();
    const cases: Record<string, string>[] = [
      { origin: 'http://attacker.example' },
      { origin: 'http://127.0.0.1:9999' },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
    ];
    for (const headers of cases) {
      for (const [method, url] of [
        ['POST', '/api/runs'],
        ['POST', '/api/abort'],
        ['DELETE', '/api/runs/x'],
        ['PUT', '/api/runs'],
        ['GET', '/api/events'],
        ['GET', '/api/status'],
      ] as const) {
        const res = await call(built, { method, url, headers });
        expect({ headers, method, url, code: codeOf(res), status: res.statusCode }).toMatchObject({
          code: 'RW_CROSS_SITE',
          status: 403,
        });
      }
    }
  });

  it('let a same-origin browser request through', async () => {
    const built = app();
    const res = await call(built, {
      method: 'POST',
      url: '/api/abort',
      headers: {
        origin: 'http://127.0.0.1:7077',
        'sec-fetch-site': 'same-origin',
        'content-type': 'application/json',
      },
      payload: '{}',
    });
    expect(codeOf(res)).toBe('RW_NO_ACTIVE_RUN');
  });
});

describe('the token', () => {
  const token = 'a-long-enough-secret-token';

  it('is required on the API (401 RW_UNAUTHORIZED) but not for the static dashboard', async () => {
    const built = app({ token });
    const none = await call(built, { method: 'GET', url: '/api/status' });
    expect([none.statusCode, codeOf(none)]).toEqual([401, 'RW_UNAUTHORIZED']);
    const wrong = await call(built, {
      method: 'GET',
      url: '/api/status',
      headers: { authorization: 'Bearer nope' },
    });
    expect([wrong.statusCode, codeOf(wrong)]).toEqual([401, 'RW_UNAUTHORIZED']);
    const sse = await call(built, { method: 'GET', url: '/api/events' });
    expect(codeOf(sse)).toBe('RW_UNAUTHORIZED');
    const right = await call(built, {
      method: 'GET',
      url: '/api/status',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(right.statusCode).toBe(200);
    const page = await call(built, { method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
  });

  it('is traded once for an HttpOnly SameSite=Strict cookie that then authorises the API', async () => {
    const built = app({ token });
    const bad = await call(built, {
      method: 'POST',
      url: '/api/login',
      payload: { token: 'wrong-token-wrong-token' },
    });
    expect([bad.statusCode, codeOf(bad)]).toEqual([401, 'RW_UNAUTHORIZED']);
    const login = await call(built, { method: 'POST', url: '/api/login', payload: { token } });
    expect(login.statusCode).toBe(204);
    const cookie = String(login.headers['set-cookie']);
    expect(cookie).toMatch(/^rw_token=/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    const withCookie = await call(built, {
      method: 'GET',
      url: '/api/status',
      headers: { cookie: cookie.split(';')[0] ?? '' },
    });
    expect(withCookie.statusCode).toBe(200);
  });

  it('is compared whole (equal strings match, any difference does not)', () => {
    expect(tokenMatches(token, token)).toBe(true);
    expect(tokenMatches(`${token}x`, token)).toBe(false);
    expect(tokenMatches(token.slice(0, -1), token)).toBe(false);
    expect(tokenMatches('', token)).toBe(false);
  });
});

describe('the binding', () => {
  it('refuses a non-loopback address without a token, and a short token, with RW_USAGE', () => {
    expect(() => checkBinding('0.0.0.0', null)).toThrow(expect.objectContaining({ code: 'RW_USAGE' }));
    expect(() => checkBinding('192.168.1.5', null)).toThrow(/without a token/);
    expect(() => checkBinding('0.0.0.0', 'short')).toThrow(/at least 16/);
    expect(() => checkBinding('0.0.0.0', 'a-long-enough-secret-token')).not.toThrow();
    expect(() => checkBinding('127.0.0.1', null)).not.toThrow();
    expect(['127.0.0.1', '::1', '[::1]', 'localhost', '127.5.5.5'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '::', '10.0.0.1', 'example.com'].some(isLoopback)).toBe(false);
  });

  it('listens on 127.0.0.1 by default', async () => {
    const server = await startServer({ workspace: tempWorkspace(), port: 0, token: testToken });
    opened.push(server);
    const address = server.app.server.address();
    expect(typeof address === 'object' && address?.address).toBe('127.0.0.1');
  });
});

describe('the logs route', () => {
  it('refuses a run directory or log that is a symlink out of the workspace with 403 RW_PATH_ESCAPE', async () => {
    const built = app();
    const outside = mkdtempSync(join(tmpdir(), 'rw-outside-'));
    writeFileSync(join(outside, 'stdout.log'), 'secret\n');
    writeFileSync(join(outside, 'passwd'), 'secret\n');
    mkdirSync(built.ws, { recursive: true });
    symlinkSync(outside, join(built.ws, 'evil-dir'));
    mkdirSync(join(built.ws, 'evil-file'));
    symlinkSync(join(outside, 'passwd'), join(built.ws, 'evil-file', 'stdout.log'));
    for (const id of ['evil-dir', 'evil-file']) {
      const res = await call(built, { method: 'GET', url: `/api/runs/${id}/logs` });
      expect([id, res.statusCode, codeOf(res)]).toEqual([id, 403, 'RW_PATH_ESCAPE']);
    }
    expect(dirname(built.ws)).not.toBe(outside);
  });
});

describe('the socket limits', () => {
  it('answers a request whose headers exceed the limit with 431 before any route runs', async () => {
    const server = await startServer({
      workspace: tempWorkspace(),
      port: 0,
      token: testToken,
      limits: { headerBytesMax: 4096 },
    });
    opened.push(server);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1', () => {
        socket.write(`GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(8192)}\r\n\r\n`);
      });
      let data = '';
      socket.on('data', (d) => {
        data += d.toString();
      });
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 431/);
  });

  it('caps SSE clients with 503 RW_TOO_MANY_CLIENTS', async () => {
    const server = await startServer({
      workspace: tempWorkspace(),
      port: 0,
      token: testToken,
      limits: { sseClientsMax: 2 },
    });
    opened.push(server);
    const clients: SseClient[] = [];
    opened.push({
      close: () => {
        for (const c of clients) c.close();
      },
    });
    for (let i = 0; i < 2; i++) clients.push(await openSse(server.port, bearer));
    await Promise.all(clients.map((c) => c.next((f) => f.event === 'snapshot', 'a snapshot')));
    const third = await openSse(server.port, bearer);
    clients.push(third);
    expect(third.status).toBe(503);
    await waitFor(() => third.body.includes('RW_TOO_MANY_CLIENTS'), {
      timeoutMs: 5_000,
      description: 'the body',
    });
  });

  it('drops a client that never reads once its buffer is full, while another keeps receiving', async () => {
    const built = app({ limits: { sseBufferBytesMax: 64 * 1024 } });
    await built.app.listen({ host: '127.0.0.1', port: 0 });
    const address = built.app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const reader = await openSse(port);
    const stalled = await openSse(port);
    opened.push({
      close: () => {
        reader.close();
        stalled.close();
      },
    });
    stalled.response.pause();
    await reader.next((f) => f.event === 'snapshot', 'a snapshot');
    await waitFor(() => built.sse.clients === 2, { timeoutMs: 5_000, description: 'two clients' });
    const payload = 'x'.repeat(16 * 1024);
    let sent = 0;
    await waitFor(
      async () => {
        // Two events (32 KiB) at a time: less than the cap, so only a client that never reads fills up.
        for (let i = 0; i < 2; i++)
          built.context.events.publish('notice', { kind: 'load', n: sent++, payload });
        return built.sse.dropped >= 1;
      },
      { timeoutMs: 20_000, intervalMs: 5, description: 'the stalled client to be dropped' },
    );
    expect(built.sse.dropped).toBe(1);
    built.context.events.publish('notice', { kind: 'last' });
    await reader.next(
      (f) => (f.data as { kind?: string }).kind === 'last',
      'the last event at the reader',
      20_000,
    );
    expect(built.sse.clients).toBe(1);
  });
});
