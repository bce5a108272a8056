// Issue 12 figures, one run, ratios inside it:
//   Q1 submit 1,000 entries into a paused queue (library, in-process) and list them (`queue --json`)
//   Q2 one run's exit -> the next queued job's first instruction, with no runwarden process alive
//      (only the ending run's monitor and its kick carry the queue), median (target <= 50 ms)
//   Q3 `submit` latency (a whole CLI process) against `tsp` (task-spooler) and `pueue add` if installed
//   Q4 `status` with 8 slots busy and 1,000 queued against `status` with one run
// Run: npm run build && npx node bench/queue.ts [--quick] [--only q1,q2,q3,q4]   (also W10 of `npm run bench`)
// Every process it starts is ended by PID; leftovers are reported.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runFiles } from '../shells/api/run-files.ts';
import { openWorkspace } from '../shells/api/workspace.ts';
import { nowNs, pollUntil, run } from './lib/command.ts';
import { buildMono } from './lib/jobs.ts';
import { cmdline, killGroup, killPid, TAG_VAR, taggedPids } from './lib/proc.ts';
import { summarize } from './lib/stats.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
const bin = join(root, 'shells/cli/bin.js');
const quick = process.argv.includes('--quick');
const base = mkdtempSync(join(tmpdir(), 'rw-bench-queue-'));
const tag = `qbench-${process.pid}`;
const mono = buildMono(base);
const env = { ...process.env, NO_COLOR: '1', [TAG_VAR]: tag };
const lines: string[] = [];
const say = (line: string) => {
  lines.push(line);
  console.log(line);
};
const fmt = (ms: number) => (Number.isFinite(ms) ? ms.toFixed(ms < 10 ? 2 : 1) : 'n/a');
const stats = (label: string, samples: number[]) => {
  const s = summarize(samples);
  say(
    `${label}: median ${fmt(s.median)} ms (min ${fmt(s.min)}, p90 ${fmt(s.p90)}, max ${fmt(s.max)}, n=${s.n})`,
  );
  return s.median;
};

/** `runwarden args…` against `ws`, as a whole process; throws on a non-zero exit. */
async function cli(ws: string, args: string[], timeoutMs = 60_000) {
  const ran = await run(
    { argv: [process.execPath, bin, ...args], env: { ...env, RUNWARDEN_WORKSPACE: ws } },
    timeoutMs,
  );
  if (ran.code !== 0) throw new Error(`runwarden ${args.join(' ')} exited ${ran.code}: ${ran.stderr.trim()}`);
  return ran;
}

/** Live runwarden CLI processes of this bench (commands and kicks: node running the CLI). */
function cliProcesses(): number[] {
  return taggedPids(tag).filter((pid) =>
    /bin\.js|dist\/cli\/main\.js|shells\/cli\/main\.ts/.test(cmdline(pid)),
  );
}

/** End every process of this bench (jobs by their group, monitors and kicks by pid). */
function endAll(): number[] {
  const left = taggedPids(tag);
  for (const pid of left) {
    killGroup(pid, 'SIGKILL');
    killPid(pid, 'SIGKILL');
  }
  return left;
}

/** Wait until `cond` holds (polling every 20 ms, light on a loaded machine); false on timeout. */
async function until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  return (await pollUntil(() => (cond() ? true : null), timeoutMs, 20)) === true;
}

/** The CLOCK_MONOTONIC mark mono-now printed into `path`, once whole. */
function markOf(path: string): bigint | null {
  if (!existsSync(path)) return null;
  const text = readFileSync(path, 'utf8');
  return /^\d+\n$/.test(text) ? BigInt(text.trim()) : null;
}

function freshWs(name: string): string {
  const ws = join(base, name);
  mkdirSync(ws, { recursive: true });
  return ws;
}

/** Q1: 1,000 submits (in-process) into a paused queue, then `queue --json` listing them; returns the workspace. */
async function q1(count: number): Promise<string> {
  const ws = freshWs('q1');
  await cli(ws, ['queue', 'pause']);
  const w = openWorkspace(ws);
  const perSubmit: number[] = [];
  const t0 = nowNs();
  for (let i = 0; i < count; i++) {
    const t = nowNs();
    await w.submit({ argv: ['true'], name: `job${i}`, priority: i % 7 });
    perSubmit.push(Number(nowNs() - t) / 1e6);
  }
  const totalMs = Number(nowNs() - t0) / 1e6;
  say(`Q1 submit ${count} entries (library, in-process, paused queue): ${fmt(totalMs)} ms in all`);
  stats('Q1 one submit (library)', perSubmit);
  const listMs: number[] = [];
  let listed = 0;
  for (let i = 0; i < (quick ? 5 : 9); i++) {
    const ran = await cli(ws, ['queue', '--json']);
    listed = (JSON.parse(ran.stdout) as { entries: unknown[] }).entries.length;
    listMs.push(ran.ms);
  }
  stats(`Q1 runwarden queue --json listing ${listed} entries (whole process)`, listMs);
  return ws;
}

/** Q2: exit of the run on the one slot -> first instruction of the queued job, nobody watching. */
async function q2(samples: number): Promise<number> {
  const gaps: number[] = [];
  let withCli = 0;
  let notQuiet = 0;
  for (let i = 0; i < samples; i++) {
    const ws = freshWs(`q2-${i}`);
    const endMark = join(base, `q2-${i}.end`);
    // A sleeps, then its last instruction prints CLOCK_MONOTONIC into endMark and it exits.
    await cli(ws, ['submit', '--name', 'a', '--', 'sh', '-c', `sleep 1.5; exec '${mono}' > '${endMark}'`]);
    // B's first instruction is mono-now itself: its stdout is the time it began.
    const b = JSON.parse((await cli(ws, ['submit', '--json', '--name', 'b', '--', mono])).stdout) as {
      id: string;
      state: string;
    };
    if (b.state !== 'queued') throw new Error(`Q2: b was ${b.state}, expected queued behind a`);
    // Nobody watching: every runwarden process of this bench must be gone before A ends.
    await until(() => cliProcesses().length === 0, 10_000);
    const quietAt = nowNs();
    const out = join(ws, b.id, runFiles.stdout);
    const started = await until(() => markOf(out) !== null && markOf(endMark) !== null, 20_000);
    if (!started) throw new Error(`Q2: the queued run ${b.id} did not start within 20 s of a's end`);
    const gapMs = Number((markOf(out) ?? 0n) - (markOf(endMark) ?? 0n)) / 1e6;
    // Counted only when no runwarden process was alive at A's exit (the kick alone started B).
    if ((markOf(endMark) ?? 0n) < quietAt) {
      notQuiet++;
      await until(() => taggedPids(tag).length === 0, 10_000);
      continue;
    }
    gaps.push(gapMs);
    if (cliProcesses().length > 0) withCli++;
    await until(() => taggedPids(tag).length === 0, 10_000);
  }
  const median = stats(
    'Q2 exit -> next queued job first instruction, no runwarden process alive (1 slot)',
    gaps,
  );
  say(`Q2 target <= 50 ms median: ${median <= 50 ? 'met' : 'NOT met'} (${fmt(median)} ms)`);
  if (notQuiet > 0)
    say(`Q2 note: ${notQuiet} sample(s) left out: a runwarden command was still alive when a exited`);
  if (withCli > 0)
    say(`Q2 note: ${withCli} sample(s) still saw a runwarden process after the start (the kick ending)`);
  return median;
}

/** Q3: one `submit` as a whole process (queued, and started) against tsp and pueue. */
async function q3(samples: number): Promise<void> {
  const queuedWs = freshWs('q3-queued');
  await cli(queuedWs, ['queue', 'pause']);
  const queued: number[] = [];
  for (let i = 0; i < samples; i++) queued.push((await cli(queuedWs, ['submit', '--', 'true'])).ms);
  const rw = stats('Q3 runwarden submit (queued: paused queue)', queued);
  const startedWs = freshWs('q3-started');
  await cli(startedWs, ['slots', '--count', '4']);
  const started: number[] = [];
  for (let i = 0; i < samples; i++) {
    started.push((await cli(startedWs, ['submit', '--', 'true'])).ms);
    await until(() => taggedPids(tag).length === 0, 10_000);
  }
  stats('Q3 runwarden submit (started: confirmed running)', started);
  if (existsSync('/usr/bin/tsp')) {
    const tspEnv = { ...env, TS_SOCKET: join(base, 'tsp.sock'), TMPDIR: base };
    await run({ argv: ['/usr/bin/tsp', '-S', '1'], env: tspEnv });
    // One long job holds tsp's single slot, so each `tsp true` queues (as runwarden's paused case).
    await run({ argv: ['/usr/bin/tsp', 'sleep', '600'], env: tspEnv });
    const tsp: number[] = [];
    for (let i = 0; i < samples; i++)
      tsp.push((await run({ argv: ['/usr/bin/tsp', 'true'], env: tspEnv })).ms);
    const t = stats('Q3 tsp true (queued behind a running job)', tsp);
    say(`Q3 ratio runwarden submit / tsp: ${fmt(rw / t)}x`);
    await run({ argv: ['/usr/bin/tsp', '-K'], env: tspEnv });
  } else say('Q3 tsp: not installed (apt-get install -y task-spooler); not measured');
  const pueue = ['/usr/bin/pueue', '/usr/local/bin/pueue'].find((p) => existsSync(p));
  say(
    pueue === undefined
      ? 'Q3 pueue: not installed; not measured'
      : `Q3 pueue at ${pueue}: not measured by this bench yet`,
  );
}

/**
 * Q4: status with 8 busy slots and 1,000 queued against status with one run. The 1,000 are Q1's
 * (its workspace, queue still paused, gets 8 slots and 8 runs started with `start`, which does
 * not queue): filling a second queue would double the bench's longest part.
 */
async function q4(many: string, count: number, samples: number): Promise<void> {
  const one = freshWs('q4-one');
  await cli(one, ['submit', '--', 'sleep', '600']);
  const oneMs: number[] = [];
  for (let i = 0; i < samples; i++) oneMs.push((await cli(one, ['status', '--json'])).ms);
  const a = stats('Q4 status --json, one run', oneMs);
  await cli(many, ['slots', '--count', '8']);
  for (let i = 0; i < 8; i++) await cli(many, ['start', '--', 'sleep', '600']);
  const manyMs: number[] = [];
  for (let i = 0; i < samples; i++) manyMs.push((await cli(many, ['status', '--json'])).ms);
  const b = stats(`Q4 status --json, 8 slots busy and ${count} queued (queue paused)`, manyMs);
  say(`Q4 ratio (8 slots + ${count} queued, paused) / (one run): ${fmt(b / a)}x`);
}

const count = quick ? 200 : 1_000;
// `--only q2,q3`: just those parts (q4 needs q1's entries, so q4 runs q1 too).
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? new Set((process.argv[onlyArg + 1] ?? '').split(',')) : null;
const wants = (part: string) => only === null || only.has(part);
try {
  say(`bench/queue.ts (${quick ? 'quick' : 'full'}), ${new Date().toISOString()}`);
  if (wants('q2')) await q2(quick ? 5 : 11);
  if (wants('q3')) await q3(quick ? 7 : 15);
  if (wants('q1') || wants('q4')) {
    const filled = await q1(count);
    if (wants('q4')) await q4(filled, count, quick ? 5 : 9);
  }
} finally {
  const left = endAll();
  if (left.length > 0)
    console.log(`ended ${left.length} process(es) of this bench by pid: ${left.join(', ')}`);
  rmSync(base, { recursive: true, force: true });
}
