// Cold wall time of `runwarden status` (the built CLI, one run active) against `node -e 0`,
// the floor for any Node CLI. Prints min/median/p90/max and the ratio of medians.
// Run: npm run build && npx node bench/cli-startup.ts [--runs N]
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 30;
const ws = join(mkdtempSync(join(tmpdir(), 'rw-bench-')), 'runs');
const env = { ...process.env, RUNWARDEN_WORKSPACE: ws, NO_COLOR: '1' };
const bin = join(root, 'shells/cli/bin.js');

function time(args: string[]): number[] {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
  }
  return samples.sort((a, b) => a - b);
}

const stats = (s: number[]) => {
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
  return { min: at(0), median: at(0.5), p90: at(0.9), max: at(1) };
};
const fmt = (n: number) => n.toFixed(1);

const started = spawnSync(process.execPath, [bin, 'start', '--json', '--', 'sleep', '600'], {
  env,
  encoding: 'utf8',
});
if (started.status !== 0) throw new Error(`start failed: ${started.stderr}`);
const { pid } = JSON.parse(started.stdout) as { pid: number };
try {
  time(['-e', '0']); // warm the page cache for both, as a user's second call would be
  time([bin, 'status']);
  const floor = stats(time(['-e', '0']));
  const status = stats(time([bin, 'status']));
  console.log(`| command (${runs} runs, ms) | min | median | p90 | max |`);
  console.log('|---|---|---|---|---|');
  console.log(
    `| node -e 0 | ${fmt(floor.min)} | ${fmt(floor.median)} | ${fmt(floor.p90)} | ${fmt(floor.max)} |`,
  );
  console.log(
    `| runwarden status (1 run active) | ${fmt(status.min)} | ${fmt(status.median)} | ${fmt(status.p90)} | ${fmt(status.max)} |`,
  );
  console.log(`ratio of medians: ${(status.median / floor.median).toFixed(2)}x (target <= 1.5x)`);
} finally {
  spawnSync(process.execPath, [bin, 'abort', '--force'], { env, stdio: 'ignore' });
  try {
    process.kill(pid, 0);
    console.error(`warning: job ${pid} still alive after abort`);
  } catch {
    // gone, as it should be
  }
}
