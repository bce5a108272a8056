// Proves `runwarden serve` as a real process of the bundled CLI: it listens on loopback, answers
// the API, shuts down on SIGTERM with 0; refuses a public address without a token (exit 2); and
// the other commands never load Fastify (it lives only in the lazily imported serve chunk).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/wait-for.ts';
import { alive, repoRoot, runCli } from '../cli/run-cli.ts';
import { tempWorkspace } from './helpers.ts';
import { freePort, type ServeProcess, startServe } from './serve-process.ts';

let server: ServeProcess | null = null;
afterEach(async () => {
  await server?.stop('SIGKILL');
  server = null;
});

describe('runwarden serve', () => {
  it('serves the API and the dashboard on 127.0.0.1 and exits 0 on SIGTERM', async () => {
    const ws = tempWorkspace();
    server = await startServe(ws, await freePort());
    expect(server.output()).toContain(`http://127.0.0.1:${server.port}/`);
    const status = await waitFor(
      async () => {
        const res = await fetch(`${server?.url}api/status`);
        const body = (await res.json()) as { status: { state: string; run: unknown } };
        return body.status.state === 'idle' ? body : null;
      },
      { timeoutMs: 10_000, description: 'an idle status' },
    );
    expect(status.status.run).toBeNull();
    const page = await fetch(server.url);
    expect(await page.text()).toContain('<title>runwarden</title>');
    const pid = server.pid;
    const exited = new Promise<number | null>((resolve) => server?.child.on('exit', (code) => resolve(code)));
    server.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(alive(pid)).toBe(false);
    server = null;
  });

  it('refuses to listen beyond loopback without a token, with exit code 2 and the fix', async () => {
    const result = await runCli(tempWorkspace(), ['serve', '--host', '0.0.0.0', '--port', '7399']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/without a token: pass --token or set RUNWARDEN_TOKEN/);
  });

  it('keeps Fastify out of every chunk other commands load', () => {
    const dir = join(repoRoot, 'dist/cli');
    const withFastify = readdirSync(dir).filter(
      (f) => f.endsWith('.js') && readFileSync(join(dir, f), 'utf8').includes('FST_ERR_'),
    );
    expect(withFastify.length).toBeGreaterThan(0);
    expect(withFastify.every((f) => f.startsWith('serve-'))).toBe(true);
    const main = readFileSync(join(dir, 'main.js'), 'utf8');
    const staticImports = [...main.matchAll(/(?<!import\()["']\.\/([\w-]+\.js)["']/g)].map((m) => m[1]);
    expect(staticImports.some((f) => f?.startsWith('serve-'))).toBe(false);
  });
});
