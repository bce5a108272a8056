// `runwarden serve`'s RSS with N SSE clients on /api/events (default 250: serve takes at most
// 256 streams; bench/sse-load.ts measures 500 on the app with a raised limit), the real built CLI
// over a workspace with a live run reporting progress; loopback only, every process ended by
// PID. Prints the RSS idle, with the clients connected (each has its snapshot), and after 20
// status/progress events went to all of them. Target (issue 20): <= 100 MiB with 500 clients.
// Refused streams (past the limit) are counted, not waited for.
// Run: npm run build && npx node bench/serve-rss.ts [--clients 500]
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, get, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { layoutOf } from '../runtime/local/layout.ts';
import { pollUntil, runOk } from './lib/command.ts';
import { isAlive, killPid, rssKb } from './lib/proc.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
const bin = join(root, 'shells/cli/bin.js');
const at = process.argv.indexOf('--clients');
const clients = at > 0 ? Number(process.argv[at + 1]) : 250;
const base = mkdtempSync(join(tmpdir(), 'rw-bench-serve-rss-'));
const ws = join(base, 'runs');
const env = { ...process.env, RUNWARDEN_WORKSPACE: ws, RUNWARDEN_TOKEN: '', NO_COLOR: '1' };
const mib = (pid: number) => (rssKb(pid) / 1024).toFixed(1);

const started = await runOk({ argv: [process.execPath, bin, 'start', '--json', '--', 'sleep', '600'], env });
const { id } = JSON.parse(started.stdout) as { id: string };
const events = layoutOf(ws).runFile(id, 'events');
const port = 20_000 + Math.floor(Math.random() * 20_000);
const serve = spawn(process.execPath, [bin, 'serve', '--no-token', '--port', String(port)], {
  env,
  stdio: 'ignore',
});
const pid = serve.pid ?? -1;
const agent = new Agent({ keepAlive: false, maxSockets: clients + 10 });
const responses: IncomingMessage[] = [];
try {
  const up = await pollUntil(
    () =>
      new Promise<true | null>((resolve) => {
        get({ host: '127.0.0.1', port, path: '/api/status', headers: { host: '127.0.0.1' } }, (res) => {
          res.resume();
          resolve(res.statusCode === 200 ? true : null);
        }).on('error', () => resolve(null));
      }),
    20_000,
    100,
  );
  if (up === null) throw new Error('bench: serve did not answer');
  const idle = mib(pid);
  let snapshots = 0;
  let refused = 0;
  let frames = 0;
  await Promise.all(
    Array.from(
      { length: clients },
      () =>
        new Promise<void>((resolve, reject) => {
          const req = get(
            { host: '127.0.0.1', port, path: '/api/events', agent, headers: { host: '127.0.0.1' } },
            (res) => {
              responses.push(res);
              if (res.statusCode !== 200) {
                refused += 1;
                res.resume();
                resolve();
                return;
              }
              let seen = false;
              res.setEncoding('utf8').on('data', (chunk: string) => {
                frames += (chunk.match(/\nevent: /g) ?? []).length;
                if (!seen && chunk.includes('event: snapshot')) {
                  seen = true;
                  snapshots += 1;
                  resolve();
                }
              });
            },
          );
          req.on('error', reject);
        }),
    ),
  );
  const connected = mib(pid);
  for (let i = 0; i < 20; i++) {
    appendFileSync(
      events,
      `${JSON.stringify({ kind: 'progress', step: i, total: 20, message: 'x'.repeat(100) })}\n`,
    );
    await new Promise((r) => setTimeout(r, 300));
  }
  const loaded = mib(pid);
  console.log(`clients ${clients} (snapshots ${snapshots}, refused ${refused}), frames received ${frames}`);
  console.log(
    `serve RSS: idle ${idle} MiB, ${clients} clients connected ${connected} MiB, after 20 progress events ${loaded} MiB`,
  );
} finally {
  for (const res of responses) res.destroy();
  agent.destroy();
  if (isAlive(pid)) killPid(pid, 'SIGTERM');
  await pollUntil(() => (isAlive(pid) ? null : true), 5_000, 20);
  await runOk({ argv: [process.execPath, bin, 'abort', '--force'], env }, 60_000);
  rmSync(base, { recursive: true, force: true });
}
