// Figures of the local runtime (issue 3), measured through the library API and the built CLI:
// start → the job's first instruction, job exit → recorded and → seen, abort latency (a job
// that handles SIGINT; one that ignores it, 1 s grace), 1 GiB of stdout vs a plain redirect.
// Run: npm run build && npx node bench/runtime.ts [--quick]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openWorkspace, type Workspace } from '../shells/api/index.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
const quick = process.argv.includes('--quick');
const rounds = quick ? 5 : 20;
const wallNs = () => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
const ms = (ns: bigint) => Number(ns) / 1e6;

function summary(name: string, samples: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
  return `| ${name} | ${s.length} | ${at(0).toFixed(1)} | ${at(0.5).toFixed(1)} | ${at(0.9).toFixed(1)} | ${at(1).toFixed(1)} |`;
}

function freshWorkspace(): Workspace {
  return openWorkspace(join(mkdtempSync(join(tmpdir(), 'rw-bench-rt-')), 'runs'), { pollMs: 100 });
}

/** The first line of a run's stdout (kept: finished runs keep their directory). */
const firstLine = (dir: string) => readFileSync(join(dir, 'stdout.log'), 'utf8').split('\n')[0] ?? '';

async function startLatencyApi(): Promise<number[]> {
  const ws = freshWorkspace();
  const out: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = wallNs();
    const run = await ws.start({ argv: ['date', '+%s%N'] });
    const session = ws.openSession();
    await ws.awaitEnd(session, run.id);
    session.stop();
    out.push(ms(BigInt(firstLine(run.dir)) - t0));
  }
  return out;
}

function startLatencyCli(): number[] {
  const ws = join(mkdtempSync(join(tmpdir(), 'rw-bench-cli-')), 'runs');
  const env = { ...process.env, RUNWARDEN_WORKSPACE: ws };
  const out: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = wallNs();
    const r = spawnSync(
      process.execPath,
      [join(root, 'shells/cli/bin.js'), 'start', '--watch', '--json', '--', 'date', '+%s%N'],
      { env, encoding: 'utf8' },
    );
    const record = JSON.parse(r.stdout.slice(r.stdout.lastIndexOf('\n{') + 1)) as { runId: string };
    out.push(ms(BigInt(firstLine(join(ws, record.runId))) - t0));
  }
  return out;
}

async function exitLatency(): Promise<{ recorded: number[]; seen: number[] }> {
  const ws = freshWorkspace();
  const recorded: number[] = [];
  const seen: number[] = [];
  for (let i = 0; i < rounds; i++) {
    // The job's last instruction prints the time; it exits right after.
    const run = await ws.start({ argv: ['sh', '-c', 'sleep 0.2; exec date +%s%N'] });
    const session = ws.openSession();
    await session.settled(10_000);
    await session.waitFor((s) => !s.hasTag('live'), 'the exit', 10_000);
    const seenNs = wallNs();
    const record = await ws.awaitEnd(session, run.id);
    session.stop();
    const lastNs = BigInt(firstLine(run.dir));
    recorded.push(record.endedAt - Number(lastNs / 1_000_000n));
    seen.push(ms(seenNs - lastNs));
  }
  return { recorded, seen };
}

async function abortLatency(argv: string[], graceMs: number): Promise<number[]> {
  const ws = freshWorkspace();
  const out: number[] = [];
  for (let i = 0; i < Math.max(3, rounds / 4); i++) {
    await ws.start({ argv, graceMs, cwd: tmpdir() });
    await new Promise((r) => setTimeout(r, 150)); // let the job install its handlers
    const t0 = performance.now();
    await ws.abort();
    out.push(performance.now() - t0);
  }
  return out;
}

async function gibThroughput(): Promise<{ runwarden: number[]; plain: number[] }> {
  const ws = freshWorkspace();
  const dd = ['dd', 'if=/dev/zero', 'bs=1M', `count=${quick ? 256 : 1024}`, 'status=none'];
  const runwarden: number[] = [];
  const plain: number[] = [];
  const underRunwarden = async () => {
    const run = await ws.start({ argv: dd, retention: { finished: 'delete' } });
    const session = ws.openSession();
    const record = await ws.awaitEnd(session, run.id);
    session.stop();
    runwarden.push(record.endedAt - (record.startedAt ?? record.endedAt));
  };
  const plainRedirect = () => {
    const file = join(tmpdir(), `rw-bench-plain-${process.pid}`);
    const t0 = performance.now();
    spawnSync('sh', ['-c', `${dd.join(' ')} > ${file}`]);
    plain.push(performance.now() - t0);
    rmSync(file, { force: true });
  };
  for (let i = 0; i < (quick ? 2 : 6); i++) {
    // Dirty pages of the previous round would be flushed during the next one: flush them first,
    // and alternate who goes first.
    spawnSync('sync');
    if (i % 2 === 0) await underRunwarden();
    else plainRedirect();
    spawnSync('sync');
    if (i % 2 === 0) plainRedirect();
    else await underRunwarden();
  }
  return { runwarden, plain };
}

const median = (s: number[]) => [...s].sort((a, b) => a - b)[Math.floor(s.length / 2)] ?? Number.NaN;
const fixture = (name: string) => join(root, 'test/fixtures/jobs', name);

console.log(`runwarden runtime figures (${quick ? 'quick' : 'full'}; ms)\n`);
console.log('| measure | n | min | median | p90 | max |');
console.log('|---|---|---|---|---|---|');
console.log(summary('start → first instruction (library API)', await startLatencyApi()));
console.log(summary('start → first instruction (CLI process)', startLatencyCli()));
const exit = await exitLatency();
console.log(summary('job exit → exit record written (monitor)', exit.recorded));
console.log(summary('job exit → seen by a watching process', exit.seen));
console.log(
  summary(
    'abort, job exits on SIGINT',
    await abortLatency([process.execPath, fixture('checkpoint-on-sigint.mjs')], 30_000),
  ),
);
console.log(
  summary(
    'abort, job ignores SIGINT, grace 1 s',
    await abortLatency([process.execPath, fixture('ignore-signals.mjs')], 1_000),
  ),
);
const gib = await gibThroughput();
console.log(summary(`${quick ? '256 MiB' : '1 GiB'} stdout under runwarden (job time)`, gib.runwarden));
console.log(summary(`${quick ? '256 MiB' : '1 GiB'} stdout, plain sh redirect`, gib.plain));
console.log(
  `\nthroughput runwarden/plain (medians): ${(median(gib.plain) / median(gib.runwarden)).toFixed(2)}x of plain (target >= 0.95x)`,
);
console.log('monitor RSS: npx node bench/monitor-rss.ts');
