// The user's Fastify service: runwarden's routes mounted under its own prefix, behind its own hook.
import Fastify from 'fastify';
import runwarden from 'runwarden/fastify';

const app = Fastify();
await app.register(
  async (scope) => {
    scope.addHook('onRequest', async (request, reply) => {
      if (request.headers['x-user'] !== 'alice') await reply.code(401).send({ error: 'who?' });
    });
    await scope.register(runwarden, { workspace: 'runs-host' });
  },
  { prefix: '/training' },
);
const denied = await app.inject({ url: '/training/api/status' });
const status = await app.inject({ url: '/training/api/status', headers: { 'x-user': 'alice' } });
const state: unknown = status.json<{ status: { state: unknown } }>().status.state;
await app.close();
console.log(JSON.stringify({ denied: denied.statusCode, status: status.statusCode, state }));
