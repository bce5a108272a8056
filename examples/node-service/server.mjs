// A Node service embedding a runwarden workspace behind one route, /training:
//   POST /training  starts the Python example (RW_CONFLICT → 409 while a run is active)
//   GET  /training  the workspace's status (state, active run, progress)
// Run it from your project (runwarden installed): `node server.mjs [port]`; it prints its URL.
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openWorkspace, RunwardenError } from 'runwarden';
import { pythonReporterPath } from 'runwarden/job';

const here = dirname(fileURLToPath(import.meta.url));
const ws = openWorkspace(process.env.RUNWARDEN_WORKSPACE ?? join(here, 'runs'));
const trainer = join(here, '../python-training/train.py');

/** HTTP status of a library error, by its stable code. */
const statusOf = { RW_CONFLICT: 409, RW_NOT_FOUND: 404, RW_NO_ACTIVE_RUN: 409, RW_USAGE: 400 };

/** Answer one request to /training. */
async function training(request) {
  if (request.method === 'POST') {
    const run = await ws.start({
      argv: ['python3', trainer, '--steps', '10'],
      name: 'train',
      env: { RUNWARDEN_REPORTER_DIR: dirname(pythonReporterPath) },
    });
    return [201, { id: run.id, pid: run.pid }];
  }
  if (request.method === 'GET') return [200, await ws.status()];
  return [405, { error: { code: 'RW_METHOD', message: 'use GET or POST' } }];
}

const server = createServer((request, response) => {
  const reply = ([code, body]) => {
    response.writeHead(code, { 'content-type': 'application/json' });
    response.end(`${JSON.stringify(body)}\n`);
  };
  if (new URL(request.url ?? '/', 'http://localhost').pathname !== '/training') {
    reply([404, { error: { code: 'RW_ROUTE_NOT_FOUND', message: 'the one route is /training' } }]);
    return;
  }
  training(request).then(reply, (error) => {
    if (!(error instanceof RunwardenError)) throw error;
    reply([statusOf[error.code] ?? 500, { error: { code: error.code, message: error.message } }]);
  });
});

server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const address = server.address();
  console.log(`listening on http://127.0.0.1:${address.port}/training`);
});
process.once('SIGTERM', () => server.close());
process.once('SIGINT', () => server.close());
