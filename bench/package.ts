// The installed package, measured: size of the packed tarball, time to install it offline into a
// fresh project (npm ci from the npm cache), and cold wall time of `runwarden status` run from
// that project's node_modules/.bin (idle and with one run active) against `node -e 0`.
// Run: npm run build && npx node bench/package.ts [--runs N] [--installs N]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { installedProject, pack } from '../test/package/installed-project.ts';

const argOf = (name: string, fallback: number) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const runs = argOf('--runs', 30);
const installs = argOf('--installs', 3);
const scratch = mkdtempSync(join(tmpdir(), 'rw-bench-pkg-'));
const stats = (samples: number[]) => {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
  return { min: at(0), median: at(0.5), p90: at(0.9), max: at(1) };
};
const fmt = (n: number) => n.toFixed(1);
const row = (label: string, samples: number[]) => {
  const st = stats(samples);
  console.log(
    `| ${label} | ${samples.length} | ${fmt(st.min)} | ${fmt(st.median)} | ${fmt(st.p90)} | ${fmt(st.max)} |`,
  );
  return st;
};

const tgz = pack(scratch);
console.log(`packed tarball: ${(statSync(tgz).size / 1024).toFixed(1)} KiB (${tgz.split('/').at(-1)})`);
const installMs: number[] = [];
const dirs: string[] = [];
for (let i = 0; i < installs; i++) {
  const installed = installedProject(tgz);
  installMs.push(installed.installMs);
  dirs.push(installed.dir);
}
const project = dirs[0] ?? '';
const env = {
  PATH: `${dirname(process.execPath)}:/usr/bin:/bin`,
  HOME: process.env.HOME ?? '/tmp',
  NO_COLOR: '1',
  RUNWARDEN_WORKSPACE: join(project, 'runs'),
};
const bin = join(project, 'node_modules/.bin/runwarden');

/** Wall times of `file args` run `runs` times from the project (after one warm-up). */
function time(file: string, args: string[]): number[] {
  spawnSync(file, args, { cwd: project, env, stdio: 'ignore' });
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(file, args, { cwd: project, env, stdio: ['ignore', 'ignore', 'inherit'] });
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.status}`);
  }
  return samples;
}

try {
  console.log('');
  console.log('| measure (ms) | n | min | median | p90 | max |');
  console.log('|---|---|---|---|---|---|');
  row('npm ci --offline of the tarball into a fresh project', installMs);
  const floor = row('node -e 0', time(process.execPath, ['-e', '0']));
  const idle = row('runwarden status, installed, idle', time(bin, ['status']));
  const started = spawnSync(bin, ['start', '--json', '--', 'sleep', '600'], {
    cwd: project,
    env,
    encoding: 'utf8',
  });
  if (started.status !== 0) throw new Error(`start failed: ${started.stderr}`);
  const active = row('runwarden status, installed, 1 run active', time(bin, ['status']));
  spawnSync(bin, ['abort', '--force'], { cwd: project, env, stdio: 'ignore' });
  console.log('');
  console.log(
    `status/node ratio of medians: idle ${(idle.median / floor.median).toFixed(2)}x, active ${(active.median / floor.median).toFixed(2)}x`,
  );
} finally {
  for (const dir of [scratch, ...dirs]) rmSync(dir, { recursive: true, force: true });
}
