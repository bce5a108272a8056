// Proves `runwarden serve` as a real process of the bundled CLI: it listens on loopback with a
// token by default (generated into the workspace's 0600 token file, printed once in the URL),
// answers the API only with it, shuts down on SIGTERM with 0; `--no-token` works on loopback only
// and warns; `--token` warns that ps shows it; and the other commands never load Fastify.
import { chmodSync, readdirSync, readFileSync, statSync } from 'node:fs';
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
  it('serves the API (with its token only) and the dashboard on 127.0.0.1 and exits 0 on SIGTERM', async () => {
    const ws = tempWorkspace();
    server = await startServe(ws, await freePort());
    expect(server.output()).toContain(`http://127.0.0.1:${server.port}/#token=`);
    const tokenFile = join(ws, '.serve-token');
    expect(server.output()).toContain(`new token written to ${tokenFile} (mode 0600)`);
    expect(readFileSync(tokenFile, 'utf8').trim()).toBe(server.token);
    expect((statSync(tokenFile).mode & 0o777).toString(8)).toBe('600');
    expect((statSync(ws).mode & 0o777).toString(8)).toBe('700');
    const anonymous = await fetch(`${server.url}api/status`);
    expect(anonymous.status).toBe(401);
    const auth = server.auth;
    const status = await waitFor(
      async () => {
        const res = await fetch(`${server?.url}api/status`, { headers: auth });
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

  it('reuses the token file on the next serve, and refuses one that others can read', async () => {
    const ws = tempWorkspace();
    server = await startServe(ws, await freePort());
    const first = server.token;
    await server.stop();
    server = await startServe(ws, await freePort());
    expect(server.token).toBe(first);
    expect(server.output()).not.toContain('new token written');
    await server.stop();
    server = null;
    chmodSync(join(ws, '.serve-token'), 0o644);
    const result = await runCli(ws, ['serve', '--port', String(await freePort())], {
      env: { RUNWARDEN_TOKEN: '' },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/serve token file .* has mode 644 or another owner; delete it/);
  });

  it('allows --no-token on loopback only, with a one-line warning', async () => {
    const refused = await runCli(tempWorkspace(), [
      'serve',
      '--host',
      '0.0.0.0',
      '--port',
      '7399',
      '--no-token',
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--no-token is allowed on loopback only, not on 0\.0\.0\.0/);
    const ws = tempWorkspace();
    server = await startServe(ws, await freePort(), ['--no-token']);
    expect(server.token).toBeNull();
    const warnings = server
      .output()
      .split('\n')
      .filter((l) => l.includes('warning'));
    expect(warnings).toEqual([
      'runwarden: warning: --no-token: every local user can start and abort runs as you through this server',
    ]);
    const res = await fetch(`${server.url}api/status`);
    expect(res.status).toBe(200);
  });

  it('warns that a --token on the command line is visible in ps, and requires it', async () => {
    const token = 'cli-flag-token-0123456789abcdef';
    server = await startServe(tempWorkspace(), await freePort(), ['--token', token]);
    expect(server.output()).toMatch(
      /warning: --token is visible to every local user in ps; set RUNWARDEN_TOKEN/,
    );
    expect(server.output()).not.toContain(token);
    expect((await fetch(`${server.url}api/status`)).status).toBe(401);
    const ok = await fetch(`${server.url}api/status`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
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
