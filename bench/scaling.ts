// Scaling curves: what a user runs every few seconds, at growing history sizes, as one table with
// the ratio to the smallest size (target <= 1.1x). History rows: `list --limit 50`, `show RUN`,
// an idle `status` (the last run's frozen view) and `GET /api/runs?limit=50` at 1k, 10k and 100k
// ended runs (written by test/helpers/history-fixture.ts, not by real runs). Then `status` with
// a live run at 0 and 100k progress events (reported only).
// Run: npm run build && npx node bench/scaling.ts [--quick] [--sizes 1000,10000,100000]
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { layoutOf } from '../runtime/local/layout.ts';
import { fixtureRunId, writeHistoryFixture } from '../test/helpers/history-fixture.ts';
import { pollUntil, runOk } from './lib/command.ts';
import { isAlive, killPid } from './lib/proc.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
const bin = join(root, 'shells/cli/bin.js');
const quick = process.argv.includes('--quick');
const sizesArg = process.argv.indexOf('--sizes');
const sizes =
  sizesArg > 0 ? (process.argv[sizesArg + 1] ?? '').split(',').map(Number) : [1_000, 10_000, 100_000];
const samplesPerPoint = quick ? 7 : 15;
const base = mkdtempSync(join(tmpdir(), 'rw-bench-scaling-'));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

async function cliMs(ws: string, args: string[]): Promise<number> {
  const env = { ...process.env, RUNWARDEN_WORKSPACE: ws, NO_COLOR: '1' };
  await runOk({ argv: [process.execPath, bin, ...args], env }); // warm the page cache
  const samples: number[] = [];
  for (let i = 0; i < samplesPerPoint; i++)
    samples.push((await runOk({ argv: [process.execPath, bin, ...args], env })).ms);
  return median(samples);
}

function get(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host: '127.0.0.1' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Median ms of GET `path` on a fresh `serve --no-token` over `ws` (after one warm-up request). */
async function serveMs(ws: string, path: string): Promise<number> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const child = spawn(process.execPath, [bin, 'serve', '--no-token', '--port', String(port)], {
    env: { ...process.env, RUNWARDEN_WORKSPACE: ws, RUNWARDEN_TOKEN: '' },
    stdio: 'ignore',
  });
  const pid = child.pid ?? -1;
  try {
    const up = await pollUntil(
      async () => ((await get(port, path).catch(() => 0)) === 200 ? true : null),
      15_000,
      50,
    );
    if (up === null) throw new Error(`bench: serve did not answer ${path} on ${port}`);
    const samples: number[] = [];
    for (let i = 0; i < samplesPerPoint * 3; i++) {
      const t = performance.now();
      if ((await get(port, path)) !== 200) throw new Error(`bench: GET ${path} failed`);
      samples.push(performance.now() - t);
    }
    return median(samples);
  } finally {
    if (isAlive(pid)) killPid(pid, 'SIGTERM');
    await pollUntil(() => (isAlive(pid) ? null : true), 5_000, 20);
  }
}

interface Row {
  what: string;
  size: string;
  ms: number;
}
const rows: Row[] = [];

for (const size of sizes) {
  const ws = join(base, `h${size}`);
  const t = performance.now();
  writeHistoryFixture(ws, size);
  process.stderr.write(`fixture of ${size} runs in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  const label = `${size / 1000}k runs`;
  rows.push({
    what: 'list --limit 50',
    size: label,
    ms: await cliMs(ws, ['list', '--json', '--limit', '50']),
  });
  rows.push({
    what: 'show RUN',
    size: label,
    ms: await cliMs(ws, ['show', fixtureRunId(Math.floor(size / 2)), '--json']),
  });
  rows.push({ what: 'status (idle)', size: label, ms: await cliMs(ws, ['status']) });
  rows.push({ what: 'GET /api/runs?limit=50', size: label, ms: await serveMs(ws, '/api/runs?limit=50') });
  rmSync(ws, { recursive: true, force: true });
}

// status with a live run at 0 and 100k progress events (report only).
for (const events of [0, 100_000]) {
  const ws = join(base, `live${events}`);
  const env = { ...process.env, RUNWARDEN_WORKSPACE: ws };
  const started = await runOk({
    argv: [process.execPath, bin, 'start', '--json', '--', 'sleep', '600'],
    env,
  });
  const { id } = JSON.parse(started.stdout) as { id: string };
  try {
    const lines: string[] = [];
    for (let i = 0; i < events; i++) lines.push(JSON.stringify({ kind: 'progress', step: i, total: events }));
    if (lines.length > 0) appendFileSync(layoutOf(ws).runFile(id, 'events'), `${lines.join('\n')}\n`);
    rows.push({
      what: 'status (live run)',
      size: `${events / 1000}k events`,
      ms: await cliMs(ws, ['status']),
    });
  } finally {
    await runOk({ argv: [process.execPath, bin, 'abort', '--force'], env });
  }
}
rmSync(base, { recursive: true, force: true });

const smallest = new Map<string, number>();
for (const r of rows) if (!smallest.has(r.what)) smallest.set(r.what, r.ms);
console.log(`| command | size | median ms | ratio to smallest |`);
console.log(`|---|---|---|---|`);
for (const r of rows) {
  const ratio = r.ms / (smallest.get(r.what) ?? r.ms);
  console.log(`| ${r.what} | ${r.size} | ${r.ms.toFixed(1)} | ${ratio.toFixed(2)}x |`);
}
console.log(
  `(${samplesPerPoint} CLI samples, ${samplesPerPoint * 3} HTTP samples per point; target <= 1.1x for the history rows)`,
);
