// Another local user against a default `runwarden serve` (token by default, on loopback): a
// process running as `nobody` cannot start, abort or read anything through the server, and cannot
// read the token file or the run's files (workspace 0700, run dir 0700, logs 0600). Needs root to
// switch users (setpriv); skipped with the reason printed otherwise.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/wait-for.ts';
import { killJobs, tempWorkspace } from './helpers.ts';
import { freePort, type ServeProcess, startServe } from './serve-process.ts';

const nobody = 65534;
const setpriv = '/usr/bin/setpriv';
const skipReason =
  process.getuid?.() !== 0
    ? 'local-user test skipped: it must run as root to act as nobody (setpriv --reuid=65534)'
    : !existsSync(setpriv)
      ? `local-user test skipped: ${setpriv} is missing (util-linux)`
      : null;
if (skipReason !== null) console.log(skipReason);

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** What `nobody` tries, in a Node script that prints one JSON object of outcomes. */
function attackScript(url: string, ws: string, runId: string): string {
  return `
    const fs = require('fs');
    const out = {};
    const tryRead = (name, f) => { try { f(); out[name] = 'READ'; } catch (e) { out[name] = e.code; } };
    const call = async (name, method, path, body) => {
      const res = await fetch(${JSON.stringify(url)} + path, {
        method, headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      out[name] = res.status;
    };
    (async () => {
      out.uid = process.getuid();
      await call('status', 'GET', 'api/status');
      await call('start', 'POST', 'api/runs', { argv: ['/bin/touch', '/tmp/rw-nobody-ran'] });
      await call('abort', 'POST', 'api/abort', { force: true });
      await call('runs', 'GET', 'api/runs');
      await call('detail', 'GET', 'api/runs/${runId}');
      await call('logs', 'GET', 'api/runs/${runId}/logs?stream=stdout');
      await call('events', 'GET', 'api/events');
      await call('percentEncoded', 'GET', '%61pi/status');
      await call('login', 'POST', 'api/login', { token: 'guess-guess-guess-guess' });
      tryRead('tokenFile', () => fs.readFileSync(${JSON.stringify(join(ws, '.serve-token'))}));
      tryRead('workspace', () => fs.readdirSync(${JSON.stringify(ws)}));
      tryRead('runDir', () => fs.readdirSync(${JSON.stringify(join(ws, runId))}));
      tryRead('stdoutLog', () => fs.readFileSync(${JSON.stringify(join(ws, runId, 'stdout.log'))}));
      console.log(JSON.stringify(out));
    })().catch((e) => { console.log(JSON.stringify({ failed: String(e) })); });`;
}

describe.skipIf(skipReason !== null)('another local user (nobody) against a default serve', () => {
  it('cannot start, abort or read anything, nor read the token file or the run files', async () => {
    const ws = tempWorkspace();
    // The temp parent is 0700 (mkdtemp): open it, so only runwarden's own modes keep nobody out.
    chmodSync(dirname(ws), 0o755);
    const server: ServeProcess = await startServe(ws, await freePort());
    cleanups.push(() => server.stop('SIGKILL'));
    cleanups.push(() => killJobs(ws));
    const res = await fetch(`${server.url}api/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...server.auth },
      body: JSON.stringify({
        argv: [process.execPath, '-e', "console.log('JOB-OUTPUT'); setInterval(() => {}, 1000)"],
        name: 'victim',
      }),
    });
    expect(res.status).toBe(201);
    const run = (await res.json()) as { id: string; dir: string };
    await waitFor(() => existsSync(join(run.dir, 'stdout.log')), {
      timeoutMs: 20_000,
      description: 'the log',
    });

    const attack = spawnSync(
      setpriv,
      [
        `--reuid=${nobody}`,
        `--regid=${nobody}`,
        '--clear-groups',
        process.execPath,
        '-e',
        attackScript(server.url, ws, run.id),
      ],
      { encoding: 'utf8', timeout: 60_000, cwd: '/' },
    );
    const outcome = JSON.parse(attack.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
    expect(outcome).toEqual({
      uid: nobody,
      status: 401,
      start: 401,
      abort: 401,
      runs: 401,
      detail: 401,
      logs: 401,
      events: 401,
      percentEncoded: 400,
      login: 401,
      tokenFile: 'EACCES',
      workspace: 'EACCES',
      runDir: 'EACCES',
      stdoutLog: 'EACCES',
    });
    // The victim's run is untouched and still the only one. (nobody's wrong login made loopback
    // wait before the next token check: every local user shares 127.0.0.1.)
    const body = await waitFor(
      async () => {
        const res = await fetch(`${server.url}api/status`, { headers: server.auth });
        return res.status === 200
          ? ((await res.json()) as { status: { state: string; run: { id: string } | null } })
          : null;
      },
      { timeoutMs: 10_000, intervalMs: 100, description: 'the login wait to pass' },
    );
    expect([body.status.state, body.status.run?.id]).toEqual(['running', run.id]);
    expect(existsSync('/tmp/rw-nobody-ran')).toBe(false);
    expect(
      readdirSync(ws).filter((n) => !n.startsWith('.') && n !== 'active.lock' && n !== 'history'),
    ).toEqual([run.id]);
  });
});
