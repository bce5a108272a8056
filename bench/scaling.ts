// Scaling curves: what a user runs every few seconds, at growing history sizes, as one table with
// the ratio to the smallest size (target <= 1.1x). History rows: `list --limit 50`, `show RUN`,
// an idle `status` (the last run's frozen view) and `GET /api/runs?limit=50` at 1k, 10k and 100k
// ended runs (written by test/helpers/history-fixture.ts, not by real runs), and the serve's RSS
// after those requests. Then a live run (`sleep 600`) at 0, 100k, 1M (and 10M without --quick)
// progress events and with a 1 GiB stdout.log: `status` (after one warm-up call, which reads the
// files once and writes the run's progress checkpoint), then `abort --force` (records the end).
// Run: npm run build && npx node bench/scaling.ts [--quick] [--sizes 1000,10000,100000]
//   [--events 0,100000,1000000,10000000] [--log-mib 1024] [--only-live]
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { layoutOf } from '../runtime/local/layout.ts';
import { fixtureRunId, writeHistoryFixture } from '../test/helpers/history-fixture.ts';
import { pollUntil, runOk } from './lib/command.ts';
import { isAlive, killPid, rssKb } from './lib/proc.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
const bin = join(root, 'shells/cli/bin.js');
const quick = process.argv.includes('--quick');
const sizesArg = process.argv.indexOf('--sizes');
const sizes =
  sizesArg > 0 ? (process.argv[sizesArg + 1] ?? '').split(',').map(Number) : [1_000, 10_000, 100_000];
const eventsArg = process.argv.indexOf('--events');
const eventSizes =
  eventsArg > 0
    ? (process.argv[eventsArg + 1] ?? '').split(',').map(Number)
    : quick
      ? [0, 100_000, 1_000_000]
      : [0, 100_000, 1_000_000, 10_000_000];
const logArg = process.argv.indexOf('--log-mib');
const logMiB = logArg > 0 ? Number(process.argv[logArg + 1]) : 1024;
const onlyLive = process.argv.includes('--only-live');
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

/** Median ms of GET `path` on a fresh `serve --no-token` over `ws` (after one warm-up request), and its RSS after. */
async function serveMs(ws: string, path: string): Promise<{ ms: number; rssMiB: number }> {
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
    return { ms: median(samples), rssMiB: rssKb(pid) / 1024 };
  } finally {
    if (isAlive(pid)) killPid(pid, 'SIGTERM');
    await pollUntil(() => (isAlive(pid) ? null : true), 5_000, 20);
  }
}

interface Row {
  what: string;
  size: string;
  ms: number;
  unit?: string;
}
const rows: Row[] = [];

for (const size of onlyLive ? [] : sizes) {
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
  const served = await serveMs(ws, '/api/runs?limit=50');
  rows.push({ what: 'GET /api/runs?limit=50', size: label, ms: served.ms });
  rows.push({ what: 'serve RSS after those GETs', size: label, ms: served.rssMiB, unit: 'MiB' });
  rmSync(ws, { recursive: true, force: true });
}

/** Appends `count` progress events to `path` in bounded chunks (10M events are ~600 MB). */
function appendEvents(path: string, count: number): void {
  const chunk = 100_000;
  for (let from = 0; from < count; from += chunk) {
    const lines: string[] = [];
    for (let i = from; i < Math.min(count, from + chunk); i++)
      lines.push(JSON.stringify({ kind: 'progress', step: i, total: count }));
    appendFileSync(path, `${lines.join('\n')}\n`);
  }
}

/** Appends `mib` MiB of plain 1 KiB log lines to `path`. */
function appendLog(path: string, mib: number): void {
  const block = `${'x'.repeat(1023)}\n`.repeat(1024);
  for (let i = 0; i < mib; i++) appendFileSync(path, block);
}

// A live run at growing sizes, each in its own workspace, all at once so the status samples can
// be interleaved (a load that changes during the bench then skews no size): status (after one
// warm-up call, which reads the files once and writes the progress checkpoint), then
// abort --force (one sample each: it ends the run and records its end).
const liveCases = [
  ...eventSizes.map((events) => ({ events, logMiB: 0 })),
  ...(logMiB > 0 ? [{ events: 0, logMiB }] : []),
].map((live) => {
  const ws = join(base, `live${live.events}-${live.logMiB}`);
  const size = live.logMiB > 0 ? `${live.logMiB} MiB stdout.log` : `${live.events / 1000}k events`;
  return { ...live, ws, size, env: { ...process.env, RUNWARDEN_WORKSPACE: ws, NO_COLOR: '1' }, live: false };
});
try {
  for (const live of liveCases) {
    const started = await runOk({
      argv: [process.execPath, bin, 'start', '--json', '--', 'sleep', '600'],
      env: live.env,
    });
    live.live = true;
    const { id } = JSON.parse(started.stdout) as { id: string };
    const t = performance.now();
    appendEvents(layoutOf(live.ws).runFile(id, 'events'), live.events);
    appendLog(layoutOf(live.ws).runFile(id, 'stdout'), live.logMiB);
    const warm = await runOk({ argv: [process.execPath, bin, 'status'], env: live.env }, 600_000);
    const took = ((performance.now() - t) / 1000).toFixed(1);
    process.stderr.write(
      `live run with ${live.size} written in ${took} s, first status ${warm.ms.toFixed(0)} ms\n`,
    );
  }
  const samples = new Map(liveCases.map((live) => [live, [] as number[]]));
  for (let i = 0; i < samplesPerPoint; i++) {
    for (const live of liveCases)
      samples.get(live)?.push((await runOk({ argv: [process.execPath, bin, 'status'], env: live.env })).ms);
  }
  for (const live of liveCases)
    rows.push({ what: 'status (live run)', size: live.size, ms: median(samples.get(live) ?? []) });
  for (const live of liveCases) {
    const abort = await runOk({ argv: [process.execPath, bin, 'abort', '--force'], env: live.env }, 600_000);
    live.live = false;
    rows.push({ what: 'abort --force (live run)', size: live.size, ms: abort.ms });
  }
} finally {
  for (const live of liveCases) {
    if (live.live) await runOk({ argv: [process.execPath, bin, 'abort', '--force'], env: live.env }, 600_000);
  }
}
rmSync(base, { recursive: true, force: true });

const smallest = new Map<string, number>();
for (const r of rows) if (!smallest.has(r.what)) smallest.set(r.what, r.ms);
console.log(`| command | size | median | ratio to smallest |`);
console.log(`|---|---|---|---|`);
for (const r of rows) {
  const ratio = r.ms / (smallest.get(r.what) ?? r.ms);
  console.log(`| ${r.what} | ${r.size} | ${r.ms.toFixed(1)} ${r.unit ?? 'ms'} | ${ratio.toFixed(2)}x |`);
}
console.log(
  `(${samplesPerPoint} CLI samples, ${samplesPerPoint * 3} HTTP samples per point, abort once per size; target <= 1.1x)`,
);
