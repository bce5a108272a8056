// `npm run bench [-- --quick] [-- --only W1,W4]`: runs the workloads (bench/workloads/*) for
// runwarden, the plain baseline and the peers (bench/peers/*) side by side in one run, prints
// the markdown table and the targets, ends every process it started by PID and reports leftovers.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildMono } from './lib/jobs.ts';
import { cmdline, killPid, TAG_VAR, taggedPids } from './lib/proc.ts';
import { markdownTable } from './lib/table.ts';
import { targetLines } from './lib/targets.ts';
import { BaselinePeer } from './peers/baseline.ts';
import { Pm2Peer } from './peers/pm2.ts';
import { RunwardenPeer } from './peers/runwarden.ts';
import { SupervisordPeer } from './peers/supervisord.ts';
import { TaskSpoolerPeer } from './peers/task-spooler.ts';
import type { Peer, PeerContext } from './peers/types.ts';
import type { BenchContext, Tool, Workload } from './workloads/context.ts';
import { w1Start } from './workloads/w1-start.ts';
import { w2Status } from './workloads/w2-status.ts';
import { w3Exit } from './workloads/w3-exit.ts';
import { w4Stop } from './workloads/w4-stop.ts';
import { w5Logs } from './workloads/w5-logs.ts';
import { w6Footprint } from './workloads/w6-footprint.ts';
import { w7Progress } from './workloads/w7-progress.ts';
import { w8History } from './workloads/w8-history.ts';
import { w9Dashboard } from './workloads/w9-dashboard.ts';
// issue 12: the queue
import { w10Queue } from './workloads/w10-queue.ts';
import { w11Scaling } from './workloads/w11-scaling.ts';
// issue 18: the dashboard in Chromium
import { w12DashboardBrowser } from './workloads/w12-dashboard-browser.ts';

const WORKLOADS: Workload[] = [
  w1Start,
  w2Status,
  w3Exit,
  w4Stop,
  w5Logs,
  w6Footprint,
  w7Progress,
  w8History,
  w9Dashboard,
  w10Queue,
  w11Scaling,
  w12DashboardBrowser,
];
const WITH_PEERS = new Set(['W1', 'W2', 'W3', 'W4', 'W5', 'W6']);

/** --quick, --only W1,W2 (validated: unknown ids are refused). */
function parseArgs(argv: string[]): { quick: boolean; only: Set<string> } {
  const at = argv.indexOf('--only');
  const ids =
    at >= 0 ? (argv[at + 1] ?? '').toUpperCase().split(',').filter(Boolean) : WORKLOADS.map((w) => w.id);
  const unknown = ids.filter((id) => !WORKLOADS.some((w) => w.id === id));
  if (unknown.length > 0 || ids.length === 0) {
    console.error(
      `bench: --only expects ids among ${WORKLOADS.map((w) => w.id).join(',')}; got '${argv[at + 1] ?? ''}'`,
    );
    process.exit(2);
  }
  return { quick: argv.includes('--quick'), only: new Set(ids) };
}

const root = fileURLToPath(new URL('../', import.meta.url));
const { quick, only } = parseArgs(process.argv.slice(2));
const runTag = `rwb${process.pid}x${Date.now().toString(36)}`;
const dir = mkdtempSync(join(tmpdir(), 'rw-bench-'));
const started = performance.now();
const log = (message: string) =>
  console.error(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}`);

/** Every tool, each with its own dir and tag. */
function makePeers(): { peer: Peer; slug: string; tag: string }[] {
  const make = (slug: string, build: (c: PeerContext) => Peer) => {
    const tag = `${runTag}:${slug}`;
    const peerDir = join(dir, slug);
    mkdirSync(peerDir, { recursive: true });
    return { peer: build({ dir: peerDir, root, tag, env: { ...process.env, [TAG_VAR]: tag } }), slug, tag };
  };
  return [
    make('rw', (c) => new RunwardenPeer(c)),
    make('base', (c) => new BaselinePeer(c)),
    make('pm2', (c) => new Pm2Peer(c)),
    make('sup', (c) => new SupervisordPeer(c)),
    make('tsp', (c) => new TaskSpoolerPeer(c)),
  ];
}

/** Ends whatever carries this run's tag, by PID, and says what it was. */
function endLeftovers(): string[] {
  const left = taggedPids(runTag).map((pid) => `${pid} ${cmdline(pid)}`);
  for (const line of left) killPid(Number(line.split(' ')[0]), 'SIGKILL');
  return left;
}

const needsPeers = [...only].some((id) => WITH_PEERS.has(id));
if (!existsSync(join(root, 'dist/cli/main.js')))
  log('warning: dist/cli is not built (npm run build): the CLI runs from source, slower');
const ctx: BenchContext = {
  quick,
  root,
  jobsDir: join(dir, 'jobs'),
  mono: '',
  tools: [],
  rows: [],
  skipped: [],
  log,
};
mkdirSync(ctx.jobsDir);
ctx.mono = buildMono(ctx.jobsDir);
const all = needsPeers ? makePeers() : [];
let interrupted = false;
process.on('SIGINT', () => {
  interrupted = true;
  log('interrupted: finishing the current step, then cleaning up');
});
try {
  for (const tool of all) {
    log(`setting up ${tool.peer.name}`);
    const reason = await tool.peer.setup();
    if (reason === null) ctx.tools.push(tool as Tool);
    else ctx.skipped.push(`${tool.peer.name}: skipped: ${reason}`);
    if (reason !== null) log(`${tool.peer.name}: skipped: ${reason}`);
  }
  for (const workload of WORKLOADS.filter((w) => only.has(w.id))) {
    if (interrupted) break;
    log(`${workload.id} ${workload.title}`);
    await workload.run(ctx);
  }
} finally {
  for (const tool of all) {
    const killed = await tool.peer.teardown();
    if (killed.length > 0) log(`${tool.peer.name}: daemon ${killed.join(', ')} needed SIGKILL`);
  }
  const leftovers = endLeftovers();
  rmSync(dir, { recursive: true, force: true });
  console.log(`## runwarden benchmarks (${quick ? 'quick' : 'full'} run)\n`);
  console.log(
    `node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
  );
  console.log(markdownTable(ctx.rows));
  console.log(`\n${targetLines(ctx.rows).join('\n')}\n`);
  for (const line of ctx.skipped) console.log(`- ${line}`);
  console.log(
    leftovers.length === 0
      ? '- leftover processes: none'
      : `- leftover processes (ended by PID): ${leftovers.join('; ')}`,
  );
}
