// The dashboard's figures (issue 18), in Debian's Chromium against a real `runwarden serve` on
// loopback: the JS and CSS each page transfers, the time to the first chart of a run with 100k
// metric points, and the frame rate of a Run page while runs stream. Ends every process it started
// by PID. Run: npx node bench/dashboard.ts [--points 100000] [--repeat 3] [--seconds 10] [--tabs 8]
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';

const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const points = arg('--points', 100_000);
const repeat = arg('--repeat', 3);
const seconds = arg('--seconds', 10);
const root = fileURLToPath(new URL('../', import.meta.url));
const started: ChildProcess[] = [];

/** A port the kernel just gave out. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `check` until it is truthy (bounded). */
async function until<T>(check: () => Promise<T | null | false>, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`bench: gave up waiting for ${what}`);
    await sleep(100);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

async function main(): Promise<void> {
  const ws = join(mkdtempSync(join(tmpdir(), 'rw-dash-bench-')), 'runs');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}/`;
  const serve = spawn(
    process.execPath,
    [join(root, 'shells/cli/bin.js'), 'serve', '--port', String(port), '--no-token'],
    {
      env: { ...process.env, RUNWARDEN_WORKSPACE: ws, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  started.push(serve);
  let out = '';
  serve.stdout?.on('data', (d: Buffer) => {
    out += d;
  });
  serve.stderr?.on('data', (d: Buffer) => {
    out += d;
  });
  await until(async () => out.includes('serving'), 30_000, 'serve to listen');
  const api = async (path: string, body?: unknown) => {
    const res = await fetch(base + path, {
      method: body === undefined ? 'GET' : 'POST',
      headers:
        body === undefined
          ? {}
          : {
              'content-type': 'application/json',
              origin: base.slice(0, -1),
              'sec-fetch-site': 'same-origin',
            },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await res.json()) as Record<string, unknown>;
  };
  const ended = (id: string) =>
    until(async () => ((await api(`api/runs/${id}`)).record ? true : null), 120_000, `run ${id} to end`);

  // A run with `points` loss points (and as many learning_rate points), written at once.
  const writer = [
    "const fs = require('node:fs'); const n = Number(process.argv[1]); const lines = [];",
    'const t0 = Date.now(); for (let i = 1; i <= n; i++) { const t = new Date(t0 + i).toISOString();',
    "lines.push(JSON.stringify({ t, kind: 'metric', name: 'loss', value: 2 / (1 + i / 1000) + Math.sin(i) * 0.01, step: i }));",
    "lines.push(JSON.stringify({ t, kind: 'metric', name: 'learning_rate', value: 1e-3 * (1 - i / n), step: i })); }",
    "fs.appendFileSync(process.env.RUNWARDEN_EVENTS, lines.join('\\n') + '\\n'); console.log('wrote', n);",
  ].join(' ');
  const big = String(
    (await api('api/runs', { argv: [process.execPath, '-e', writer, String(points)], name: 'big' })).id,
  );
  await ended(big);

  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();

    // 1. Page weight: JS and CSS bytes over the wire (headers and body; the server does not compress).
    const weigh = async (path: string, ready: string) => {
      const sizes: { type: string; bytes: number }[] = [];
      const onDone = async (req: import('playwright-core').Request) => {
        const type = req.resourceType();
        if (type !== 'script' && type !== 'stylesheet') return;
        const s = await req.sizes().catch(() => null);
        if (s) sizes.push({ type, bytes: s.responseBodySize + s.responseHeadersSize });
      };
      page.on('requestfinished', onDone);
      await page.goto(base + path);
      await page.waitForSelector(ready, { timeout: 60_000 });
      await sleep(500);
      page.off('requestfinished', onDone);
      const sum = (t: string) => sizes.filter((s) => s.type === t).reduce((n, s) => n + s.bytes, 0);
      return { js: sum('script'), css: sum('stylesheet'), files: sizes.length };
    };
    const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
    for (const [name, path, ready] of [
      ['Runs page', '', '#runs-table tbody tr'],
      ['Run page', `runs/${big}`, '#charts figure[data-points]'],
      ['Debug page (Mermaid)', 'debug', '#chart[data-drawn]'],
    ] as const) {
      const w = await weigh(path, ready);
      console.log(`weight ${name}: JS ${kib(w.js)}, CSS ${kib(w.css)} (${w.files} files)`);
    }

    // 2. Time to the first chart of the run with `points` points (navigation start to drawn).
    const times: number[] = [];
    for (let i = 0; i < repeat; i++) {
      await page.goto('about:blank');
      await page.goto(`${base}runs/${big}`);
      await page.waitForSelector(`#charts figure[data-metric="loss"][data-points="${points}"]`, {
        timeout: 120_000,
      });
      times.push(await page.evaluate<number>('performance.now()'));
    }
    console.log(
      `first chart with ${points} points: median ${Math.round(median(times))} ms (${times.map(Math.round).join(', ')} ms; navigation start to the chart drawn)`,
    );

    // 3. Frame rate while runs stream: a live run writing 8 metrics every 20 ms, its Run page with 8
    // charts, in --tabs tabs at once (8 by default, standing in for the 8 runs: this
    // workspace has one slot; with issue 12's slots, point the tabs at 8 runs). Headless tabs all
    // render (none is hidden), so on a 2-core machine 8 tabs share the CPU 8 ways.
    const streamer = [
      "const fs = require('node:fs'); let s = 0; setInterval(() => { s++; const t = new Date().toISOString(); let l = '';",
      "for (let m = 0; m < 8; m++) l += JSON.stringify({ t, kind: 'metric', name: 'm' + m, value: Math.sin(s / 50 + m), step: s }) + '\\n';",
      "l += JSON.stringify({ t, kind: 'progress', step: s, total: 1e6 }) + '\\n'; fs.appendFileSync(process.env.RUNWARDEN_EVENTS, l); console.log('step', s); }, 20);",
    ].join(' ');
    const live = String(
      (await api('api/runs', { argv: [process.execPath, '-e', streamer], name: 'stream' })).id,
    );
    const tabs: Page[] = [page];
    for (let i = 1; i < arg('--tabs', 8); i++) tabs.push(await context.newPage());
    for (const tab of tabs) await tab.goto(`${base}runs/${live}`);
    for (const tab of tabs) await tab.waitForSelector('#charts figure[data-points]', { timeout: 60_000 });
    // Show all 8 metrics on the measured tab.
    for (const box of await page.$$('#metric-picker input:not(:checked)')) await box.check();
    await page.bringToFront();
    const fps = await page.evaluate<number>(`new Promise((resolve) => {
      let frames = 0; const t0 = performance.now();
      const tick = () => { frames++; if (performance.now() - t0 < ${seconds * 1000}) requestAnimationFrame(tick); else resolve(frames / ((performance.now() - t0) / 1000)); };
      requestAnimationFrame(tick);
    })`);
    const drawn = await page.$$eval('#charts figure', (fs) =>
      fs.map((f) => Number(f.getAttribute('data-drawn'))),
    );
    console.log(
      `frame rate: ${fps.toFixed(1)} fps over ${seconds} s on a Run page with ${drawn.length} live charts (8 metrics at 50 Hz), ${tabs.length} tab(s) on it; charts redrawn ${Math.min(...drawn)}–${Math.max(...drawn)} times`,
    );
    await api('api/abort', { force: true });
    await ended(live);
  } finally {
    await browser.close();
  }
}

try {
  await main();
} finally {
  for (const child of started) {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}
