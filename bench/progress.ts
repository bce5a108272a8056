// Figures for the progress channel: events/s the follower ingests from a job writing as fast as it
// can, the reader's RSS at 1M events, and the lag from a job's write to a poll seeing it.
// Run: npx node bench/progress.ts [ITERATIONS]   (each iteration writes two events; default 500000)
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep, setImmediate as tick } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { RunFollower } from '../runtime/progress/run-follower.ts';

const root = path.resolve(import.meta.dirname, '..');
const manyEvents = path.join(root, 'test/fixtures/progress/many-events.ts');

/** Starts a job with the run dir's logs as stdout/stderr; resolves with its exit code. */
function startJob(runDir: string, args: string[]): Promise<number | null> {
  const out = fs.openSync(path.join(runDir, 'stdout.log'), 'a');
  const err = fs.openSync(path.join(runDir, 'stderr.log'), 'a');
  const env = {
    ...process.env,
    RUNWARDEN_RUN_DIR: runDir,
    RUNWARDEN_EVENTS: path.join(runDir, 'events.ndjson'),
  };
  const child = spawn(process.execPath, args, { stdio: ['ignore', out, err], env });
  fs.closeSync(out);
  fs.closeSync(err);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', resolve);
  });
}

/** Follows a job writing as fast as it can until it ended and the follower caught up. */
async function live(runDir: string, iterations: number): Promise<void> {
  const startedMs = performance.now();
  let endedMs: number | null = null;
  const exited = startJob(runDir, [manyEvents, String(iterations)]).then((code) => {
    endedMs = performance.now();
    return code;
  });
  const follower = new RunFollower(runDir, { checkpoint: false });
  let polls = 0;
  let busyMs = 0;
  // Bounded: one poll per turn of the event loop, at most 10 million turns.
  for (; polls < 10_000_000; polls += 1) {
    const ended = endedMs !== null;
    const pollStartMs = performance.now();
    const state = follower.poll({ final: ended });
    busyMs += performance.now() - pollStartMs;
    if (ended && follower.caughtUp) {
      const doneMs = performance.now();
      const jobMs = (endedMs ?? doneMs) - startedMs;
      console.log(`live: job wrote ${state.counts.events} events in ${jobMs.toFixed(0)} ms`);
      console.log(`  (${rate(state.counts.events, jobMs)} events/s written)`);
      console.log(`  follower caught up ${(doneMs - (endedMs ?? doneMs)).toFixed(0)} ms after the job ended`);
      console.log(
        `  over ${polls + 1} polls, busy ${busyMs.toFixed(0)} ms: ${rate(state.counts.events, busyMs)} events/s`,
      );
      break;
    }
    await tick();
  }
  console.log(`  job exit code ${await exited}`);
}

/** Reads a finished run dir from scratch in a fresh process (see `readOnly`) and prints its figures. */
function fromScratch(runDir: string): void {
  const result = spawnSync(process.execPath, [import.meta.filename, '--read-only', runDir], {
    encoding: 'utf8',
  });
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
}

/** In the fresh process: read everything, print events/s and RSS. */
function readOnly(runDir: string): void {
  const rssBeforeMb = process.memoryUsage().rss / 2 ** 20;
  const startMs = performance.now();
  const cpuBefore = process.cpuUsage();
  // From scratch: the live follower's progress checkpoint is neither read nor written.
  const follower = new RunFollower(runDir, { checkpoint: false });
  let state = follower.poll({ final: true });
  for (let polls = 1; polls < 100_000 && !follower.caughtUp; polls += 1)
    state = follower.poll({ final: true });
  const ms = performance.now() - startMs;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const memory = process.memoryUsage();
  console.log(
    `from scratch: ${state.counts.events} events in ${ms.toFixed(0)} ms: ${rate(state.counts.events, ms)} events/s`,
  );
  // On a shared machine the wall time measures the share of a core; CPU time measures the reader.
  console.log(`  CPU ${cpuMs.toFixed(0)} ms: ${rate(state.counts.events, cpuMs)} events per CPU-second`);
  console.log(
    `  RSS ${(memory.rss / 2 ** 20).toFixed(0)} MiB (${rssBeforeMb.toFixed(0)} MiB before reading),`,
  );
  console.log(`  heap used ${(memory.heapUsed / 2 ** 20).toFixed(0)} MiB;`);
  console.log(
    `  loss points kept ${state.metrics.loss?.points.length}, buffers ${JSON.stringify(follower.buffers)}`,
  );
}

/**
 * Lag from the job's `t` to the poll that first shows the event, polling every `intervalMs`. The
 * job writes one event every `intervalMs + 13` ms, so each event is first shown by its own poll.
 */
async function lag(runDir: string, intervalMs: number, eventsMax: number): Promise<void> {
  const periodMs = intervalMs + 13;
  const reporterUrl = pathToFileURL(path.join(root, 'shells/job/reporter.ts')).href;
  const code = [
    `import { reporter } from '${reporterUrl}';`,
    'const rw = reporter();',
    `for (let i = 1; i <= ${eventsMax}; i += 1) {`,
    '  rw.progress({ step: i });',
    `  await new Promise((resolve) => setTimeout(resolve, ${periodMs}));`,
    '}',
  ].join('\n');
  const exited = startJob(runDir, ['--input-type=module', '-e', code]);
  let ended = false;
  void exited.then(() => {
    ended = true;
  });
  const follower = new RunFollower(runDir);
  const lagsMs: number[] = [];
  let seenStep = 0;
  // Bounded: the job writes for about eventsMax * periodMs; stop polling after 2 minutes.
  const deadlineMs = Date.now() + 120_000;
  for (
    let polls = 0;
    polls < 10_000_000 && Date.now() < deadlineMs && !(ended && follower.caughtUp);
    polls += 1
  ) {
    const state = follower.poll();
    const nowMs = Date.now();
    if (state.step !== null && state.step > seenStep && state.lastEventAt !== null) {
      seenStep = state.step;
      lagsMs.push(nowMs - Date.parse(state.lastEventAt));
    }
    if (intervalMs === 0) await tick();
    else await sleep(intervalMs);
  }
  lagsMs.sort((a, b) => a - b);
  const at = (q: number): number =>
    lagsMs[Math.min(lagsMs.length - 1, Math.floor(q * lagsMs.length))] ?? Number.NaN;
  const label = intervalMs === 0 ? 'polling back to back' : `polling every ${intervalMs} ms`;
  console.log(
    `lag, ${label}: p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${at(1)} ms over ${lagsMs.length} events`,
  );
}

/** `count` per `ms` as a rounded per-second figure. */
function rate(count: number, ms: number): string {
  return Math.round((count / ms) * 1000).toLocaleString('en-US');
}

/** A fresh temp run dir (the caller removes it). */
function tempRunDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'rw-bench-progress-'));
}

if (process.argv[2] === '--read-only') {
  readOnly(process.argv[3] ?? '.');
} else {
  const iterations = Number(process.argv[2] ?? '500000');
  console.log(`node ${process.version}, ${os.cpus().length} CPUs, ${os.cpus()[0]?.model ?? 'unknown CPU'}`);
  const bulk = tempRunDir();
  try {
    await live(bulk, iterations);
    fromScratch(bulk);
  } finally {
    fs.rmSync(bulk, { recursive: true, force: true });
  }
  for (const [intervalMs, eventsMax] of [
    [0, 200],
    [10, 200],
    [100, 50],
  ] as const) {
    const dir = tempRunDir();
    try {
      await lag(dir, intervalMs, eventsMax);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}
