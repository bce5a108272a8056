// The dashboard's files, served from shells/http/dashboard/ (plain HTML, CSS and JS; no build).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../errors.ts';

/** The files of the dashboard and their content types: a fixed list, so no path ever comes from a URL. */
const assets: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'render.js': 'text/javascript; charset=utf-8',
  'stream.js': 'text/javascript; charset=utf-8',
  'stream-core.js': 'text/javascript; charset=utf-8',
  'stream-worker.js': 'text/javascript; charset=utf-8',
  'state-view.js': 'text/javascript; charset=utf-8',
  // Issue 18: one module per page and the run page's parts.
  'api.js': 'text/javascript; charset=utf-8',
  'runs-page.js': 'text/javascript; charset=utf-8',
  'run-page.js': 'text/javascript; charset=utf-8',
  'charts.js': 'text/javascript; charset=utf-8',
  'logs.js': 'text/javascript; charset=utf-8',
  'compare-page.js': 'text/javascript; charset=utf-8',
  'queue-page.js': 'text/javascript; charset=utf-8',
};

/** The pages (each serves index.html; app.js shows the page the path names). */
export const dashboardPages: readonly string[] = ['/', '/runs/:id', '/compare', '/queue', '/debug'];

/**
 * Libraries the page loads from this origin, read from node_modules on first request: Mermaid
 * (statechart), uPlot (charts: small, fast with 100k points) and its stylesheet, ansi_up (log colours).
 */
const vendor: Readonly<Record<string, { readonly module: string; readonly type: string }>> = {
  'mermaid.min.js': { module: 'mermaid/dist/mermaid.min.js', type: 'text/javascript; charset=utf-8' },
  'uplot.min.js': { module: 'uplot/dist/uPlot.iife.min.js', type: 'text/javascript; charset=utf-8' },
  'uplot.min.css': { module: 'uplot/dist/uPlot.min.css', type: 'text/css; charset=utf-8' },
  'ansi_up.js': { module: 'ansi_up/ansi_up.js', type: 'text/javascript; charset=utf-8' },
};

/** The public routes of the vendored files. */
export const vendorRoutes: readonly string[] = Object.keys(vendor).map((name) => `GET /vendor/${name}`);

/** The policy of the assets: styles from files only. */
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

/**
 * The policy of the page: as above, except that styles may be inline, because Mermaid puts a
 * <style> element and style attributes into the SVG it draws. Scripts stay same-origin files only.
 */
const pageCsp = csp.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'");

/** The path of a vendored file in node_modules, or null when its package is not installed. */
function vendorPath(module: string): string | null {
  try {
    return createRequire(import.meta.url).resolve(module);
  } catch {
    return null;
  }
}

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

/**
 * The dashboard's own absolute paths (`/api/…`, `/runs/…`, `/vendor/…`, `/app.js`…) moved under
 * `prefix`, for a dashboard mounted by the Fastify plugin under a host's prefix; as is without one.
 */
export function underPrefix(body: Buffer, prefix: string): Buffer {
  if (prefix === '') return body;
  const names = ['api/', 'runs/', 'vendor/', 'compare', 'queue', 'debug', ...Object.keys(assets)].map((n) =>
    n.replace(/[.]/g, '\\.'),
  );
  const paths = new RegExp(`(['"\`])/(${names.join('|')})`, 'g');
  const text = body
    .toString('utf8')
    .replace(paths, (_all, quote: string, rest: string) => `${quote}${prefix}/${rest}`)
    // Links to the Runs page (`href="/"`).
    .replaceAll('href="/"', `href="${prefix}/"`)
    // The bookmark pattern of app.js: /^\/runs\/…/ matched against location.pathname.
    .replaceAll('/^\\/runs\\/', `/^${prefix.replaceAll('/', '\\/')}\\/runs\\/`);
  return Buffer.from(text, 'utf8');
}

/**
 * Register GET / (and /runs/:id, a bookmark to a run) and each asset, read once at start, and
 * GET /vendor/mermaid.min.js, read on first request (404 RW_NOT_FOUND when Mermaid is missing).
 */
export function dashboardRoutes(app: FastifyInstance): void {
  const dir = dashboardDir();
  const files = new Map(
    Object.entries(assets).map(([name, type]) => [
      name,
      { type, body: underPrefix(readFileSync(dir + name), app.prefix) },
    ]),
  );
  const send = (name: string) => {
    const file = files.get(name);
    if (file === undefined) throw new Error(`runwarden: dashboard asset ${name} missing`);
    return file;
  };
  const page = async (_request: unknown, reply: import('fastify').FastifyReply) => {
    const file = send('index.html');
    return reply.type(file.type).header('Content-Security-Policy', pageCsp).send(file.body);
  };
  for (const path of dashboardPages) app.get(path, page);
  app.get('/favicon.ico', async (_request, reply) => reply.code(204).send());
  for (const name of Object.keys(assets).filter((n) => n !== 'index.html')) {
    app.get(`/${name}`, async (_request, reply) => {
      const file = send(name);
      return reply.type(file.type).header('Content-Security-Policy', csp).send(file.body);
    });
  }
  const loaded = new Map<string, Buffer>();
  for (const [name, { module, type }] of Object.entries(vendor)) {
    app.get(`/vendor/${name}`, async (_request, reply) => {
      let body = loaded.get(name);
      if (body === undefined) {
        const path = vendorPath(module);
        if (path === null) throw new HttpError('RW_NOT_FOUND', `${module} is not installed (npm install)`);
        body = readFileSync(path);
        loaded.set(name, body);
      }
      return reply.type(type).header('Content-Security-Policy', csp).send(body);
    });
  }
}
