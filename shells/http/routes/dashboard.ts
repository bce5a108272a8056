// The dashboard's files, served from shells/http/dashboard/ (plain HTML, CSS and JS; no build).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

/** The files of the dashboard and their content types: a fixed list, so no path ever comes from a URL. */
const assets: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'render.js': 'text/javascript; charset=utf-8',
  'stream.js': 'text/javascript; charset=utf-8',
  'stream-core.js': 'text/javascript; charset=utf-8',
  'stream-worker.js': 'text/javascript; charset=utf-8',
};

const csp = [
  "default-src 'none'",
  "script-src 'self'",
  "worker-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The dashboard directory: beside this file in the source, or under shells/ from the bundle in dist/cli. */
export function dashboardDir(): string {
  const candidates = [
    new URL('../dashboard/', import.meta.url),
    new URL('../../shells/http/dashboard/', import.meta.url),
  ];
  const found = candidates.find((url) => existsSync(fileURLToPath(new URL('index.html', url))));
  if (found === undefined)
    throw new Error('runwarden: the dashboard files are missing (shells/http/dashboard)');
  return fileURLToPath(found);
}

/** Register GET / (and /runs/:id, a bookmark to a run) and each asset, read once at start. */
export function dashboardRoutes(app: FastifyInstance): void {
  const dir = dashboardDir();
  const files = new Map(
    Object.entries(assets).map(([name, type]) => [name, { type, body: readFileSync(dir + name) }]),
  );
  const send = (name: string) => {
    const file = files.get(name);
    if (file === undefined) throw new Error(`runwarden: dashboard asset ${name} missing`);
    return file;
  };
  const page = async (_request: unknown, reply: import('fastify').FastifyReply) => {
    const file = send('index.html');
    return reply.type(file.type).header('Content-Security-Policy', csp).send(file.body);
  };
  app.get('/', page);
  app.get('/runs/:id', page);
  app.get('/favicon.ico', async (_request, reply) => reply.code(204).send());
  for (const name of Object.keys(assets).filter((n) => n !== 'index.html')) {
    app.get(`/${name}`, async (_request, reply) => {
      const file = send(name);
      return reply.type(file.type).header('Content-Security-Policy', csp).send(file.body);
    });
  }
}
