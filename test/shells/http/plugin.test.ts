// Proves runwarden/fastify mounts the API, the event stream's routes and the dashboard in a host's
// Fastify app under the host's prefix and behind the host's own auth hook, driven by inject():
// start, status and abort of a real run, the dashboard's paths moved under the prefix, and
// nothing answered outside it.
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { runwarden } from '../../../shells/http/plugin.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { activePids, alive, killAll } from '../cli/run-cli.ts';
import { tempWorkspace } from './helpers.ts';

let host: FastifyInstance | null = null;
let workspace = '';

afterEach(async () => {
  const pids = activePids(workspace);
  await host?.close();
  host = null;
  await killAll(pids);
  expect(pids.filter(alive)).toEqual([]);
});

/** A host app: its own route, and runwarden under /training behind an `x-user: alice` check. */
async function hostApp(): Promise<FastifyInstance> {
  workspace = tempWorkspace();
  const app = Fastify();
  app.get('/health', async () => ({ ok: true }));
  await app.register(
    async (scope) => {
      scope.addHook('onRequest', async (request, reply) => {
        if (request.headers['x-user'] !== 'alice') await reply.code(401).send({ error: 'sign in first' });
      });
      await scope.register(runwarden, { workspace, progressPollMs: 50, pollMs: 50 });
    },
    { prefix: '/training' },
  );
  await app.ready();
  host = app;
  return app;
}

const alice = { 'x-user': 'alice' };

describe('runwarden/fastify in a host app', () => {
  it("answers under the host's prefix only, behind the host's hook", async () => {
    const app = await hostApp();
    expect((await app.inject({ url: '/training/api/status' })).statusCode).toBe(401);
    const status = await app.inject({ url: '/training/api/status', headers: alice });
    expect(status.statusCode).toBe(200);
    expect(status.json().status.state).toBe('idle');
    expect((await app.inject({ url: '/api/status', headers: alice })).statusCode).toBe(404);
    expect((await app.inject({ url: '/health' })).json()).toEqual({ ok: true });
    const missing = await app.inject({ url: '/training/api/nothing', headers: alice });
    expect({ status: missing.statusCode, code: missing.json().error.code }).toEqual({
      status: 404,
      code: 'RW_ROUTE_NOT_FOUND',
    });
  });

  it('starts, shows and aborts a real run through the mounted API', async () => {
    const app = await hostApp();
    const started = await app.inject({
      method: 'POST',
      url: '/training/api/runs',
      headers: alice,
      payload: { argv: ['sleep', '60'], graceMs: 1_000 },
    });
    expect(started.statusCode).toBe(201);
    const id = started.json().id as string;
    await waitFor(
      async () =>
        (await app.inject({ url: '/training/api/status', headers: alice })).json().status.run?.id === id,
      { timeoutMs: 20_000, description: 'the mounted status to show the run' },
    );
    const aborted = await app.inject({
      method: 'POST',
      url: '/training/api/abort',
      headers: alice,
      payload: { force: true },
    });
    expect(aborted.statusCode).toBe(202);
    const record = await waitFor(
      async () => {
        const res = await app.inject({ url: `/training/api/runs/${id}`, headers: alice });
        return res.statusCode === 200 && res.json().record !== null ? res.json().record : null;
      },
      { timeoutMs: 20_000, description: 'the run record to appear' },
    );
    expect(record.outcome).toBe('aborted');
  });

  it("serves the dashboard with its own paths under the host's prefix", async () => {
    const app = await hostApp();
    const page = await app.inject({ url: '/training/', headers: alice });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('src="/training/app.js"');
    expect(page.body).not.toMatch(/(href|src)="\/(?!training\/)/);
    const script = await app.inject({ url: '/training/app.js', headers: alice });
    expect(script.body).toContain("'/training/api/runs?limit=50'");
    expect(script.body).not.toMatch(/['"`]\/api\//);
    const stream = await app.inject({ url: '/training/stream-core.js', headers: alice });
    expect(stream.body).toContain('`/training/api/events');
  });
});
