// Limits against a client without the token: wrong tokens from one address wait a delay that
// doubles (even the right token is not checked during the wait, so the wait bounds guessing); a
// body that never arrives is cut off by the request timeout; and unauthenticated clients never
// take an SSE slot, so they cannot lock the dashboard out.
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LoginLimiter } from '../../../shells/http/login-limiter.ts';
import { type RunningServer, startServer } from '../../../shells/http/server.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { call, codeOf, tempWorkspace, testApp } from './helpers.ts';
import { rawRequest } from './raw-http.ts';
import { openSse, type SseClient } from './sse-client.ts';

const token = 'abuse-test-token-0123456789abcdef';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(limits: Parameters<typeof startServer>[0]['limits']): Promise<RunningServer> {
  const server = await startServer({
    workspace: tempWorkspace(),
    port: 0,
    token,
    ...(limits ? { limits } : {}),
  });
  cleanups.push(() => server.close());
  return server;
}

describe('failed logins', () => {
  it('double the wait per failure from one address, up to the cap, and forget it on success', () => {
    let now = 1_000;
    const limiter = new LoginLimiter({ loginDelayBaseMs: 100, loginDelayMaxMs: 350 }, () => now);
    expect(limiter.waitMs('a')).toBe(0);
    expect([limiter.failed('a'), limiter.failed('a'), limiter.failed('a'), limiter.failed('a')]).toEqual([
      100, 200, 350, 350,
    ]);
    expect(limiter.waitMs('a')).toBe(350);
    expect(limiter.waitMs('b')).toBe(0);
    now += 200;
    expect(limiter.waitMs('a')).toBe(150);
    limiter.succeeded('a');
    expect(limiter.waitMs('a')).toBe(0);
  });

  it('are answered 429 RW_RATE_LIMITED during the wait (right token too), on login and on the API', async () => {
    const built = testApp({ token, limits: { loginDelayBaseMs: 400, loginDelayMaxMs: 60_000 } });
    cleanups.push(() => built.app.close());
    const login = (t: string) =>
      call(built, {
        method: 'POST',
        url: '/api/login',
        payload: { token: t },
        headers: { 'content-type': 'application/json' },
      });
    const first = await login('wrong-token-0123456789');
    expect([first.statusCode, codeOf(first)]).toEqual([401, 'RW_UNAUTHORIZED']);
    const during = await login(token);
    expect([during.statusCode, codeOf(during), during.headers['retry-after']]).toEqual([
      429,
      'RW_RATE_LIMITED',
      '1',
    ]);
    const api = await call(built, {
      method: 'GET',
      url: '/api/status',
      headers: { authorization: `Bearer ${token}` },
    });
    expect([api.statusCode, codeOf(api)]).toEqual([429, 'RW_RATE_LIMITED']);
    // After the wait the right token works (and clears the count).
    const ok = await waitFor(
      async () => {
        const res = await login(token);
        return res.statusCode === 204 ? res : null;
      },
      { timeoutMs: 5_000, intervalMs: 50, description: 'the wait after one failure to pass' },
    );
    expect(String(ok.headers['set-cookie'])).toMatch(/^rw_token=/);
    // Two wrong tokens in a row (the second after its wait) make a wait twice as long.
    await login('wrong-token-0123456789');
    await waitFor(async () => (await login('wrong-token-0123456789')).statusCode === 401, {
      timeoutMs: 5_000,
      intervalMs: 50,
      description: 'the second failure to be checked',
    });
    expect(built.context.limiter.waitMs('127.0.0.1')).toBeGreaterThan(400);
    // A wrong bearer token on an API route counts like a wrong login.
    built.context.limiter.succeeded('127.0.0.1');
    const wrongBearer = await call(built, {
      method: 'GET',
      url: '/api/runs',
      headers: { authorization: 'Bearer nope-nope-nope-nope' },
    });
    expect(wrongBearer.statusCode).toBe(401);
    expect(built.context.limiter.waitMs('127.0.0.1')).toBeGreaterThan(0);
  });
});

describe('the request timeout', () => {
  it('answers 408 and closes a connection whose announced body never arrives', async () => {
    const server = await serve({ requestTimeoutMs: 500 });
    const startedAt = Date.now();
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1', () => {
        socket.write(
          `POST /api/runs HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"argv":`,
        );
      });
      let data = '';
      socket.on('data', (d) => {
        data += d.toString();
      });
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
      setTimeout(() => {
        socket.destroy();
        reject(new Error('the server kept the connection open for 15 s'));
      }, 15_000).unref();
    });
    expect(reply).toMatch(/^HTTP\/1\.1 408/);
    // Bound for a loaded machine: the timeout plus Node's connection check interval, with room.
    expect(Date.now() - startedAt).toBeLessThan(10_000);
  });
});

describe('SSE slots', () => {
  it('are never taken by unauthenticated clients: they get 401, and the dashboard still connects', async () => {
    const server = await serve({ sseClientsMax: 2 });
    const clients: SseClient[] = [];
    cleanups.push(() => {
      for (const c of clients) c.close();
    });
    for (let i = 0; i < 20; i++) clients.push(await openSse(server.port));
    expect(clients.map((c) => c.status)).toEqual(new Array(20).fill(401));
    for (let i = 0; i < 2; i++)
      clients.push(await openSse(server.port, { authorization: `Bearer ${token}` }));
    expect(clients.slice(20).map((c) => c.status)).toEqual([200, 200]);
    await Promise.all(clients.slice(20).map((c) => c.next((f) => f.event === 'snapshot', 'a snapshot')));
    // The cap still holds for authenticated clients.
    const third = await openSse(server.port, { authorization: `Bearer ${token}` });
    clients.push(third);
    expect(third.status).toBe(503);
    const raw = await rawRequest(server.port, { method: 'GET', target: '/api/events' });
    expect(raw.status).toBe(401);
  });
});
