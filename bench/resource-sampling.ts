// Resource sampling (issue 17): what one sample costs the monitor (a /proc scan of the job's
// processes) and a follower (one GPU sample: two nvidia-smi queries), and so the share of one core
// at the default period of 10 s. Run with `npx node bench/resource-sampling.ts [procs] [seconds]`.
// Figures to read, not pass/fail. The monitor samples every 100 ms here (100x the default) so
// that its CPU time is measurable; the GPU side uses the fixture nvidia-smi (no GPU here: a
// python3 script printing the real CSV), so its figure is the fixture's, an upper bound of ours.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchMonitored } from '../runtime/local/monitor/launch.ts';
import { resourcesFile, writeSampleEvery } from '../runtime/local/resource-files.ts';
import { sampleGpus } from '../runtime/local/resource-gpu.ts';

const procs = Number(process.argv[2] ?? 8);
const seconds = Number(process.argv[3] ?? 10);
const everyMs = 100;

// CPU seconds (user + system) of a live pid.
function cpuSecondsOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

// A job of `procs` sleeping processes (the group the monitor scans), for `seconds` + 5 s.
async function monitorCost(
  sampling: boolean,
  env: Record<string, string> = {},
): Promise<{ cpuS: number; samples: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rw-bench-sample-'));
  try {
    if (sampling && !writeSampleEvery(dir, dir, everyMs).ok)
      throw new Error('bench: sample-every-ms not written');
    const script = `for i in $(seq ${procs - 1}); do sleep ${seconds + 5} & done; sleep ${seconds + 5}`;
    const launched = await launchMonitored({
      runDir: dir,
      argv: ['sh', '-c', script],
      cwd: dir,
      env,
      stdoutPath: path.join(dir, 'out.log'),
      stderrPath: path.join(dir, 'err.log'),
      startTimeoutMs: 30_000,
    });
    if (!launched.ok) throw new Error(launched.error.message);
    await launched.value.release();
    const monitor = launched.value.monitorPid;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const before = cpuSecondsOf(monitor);
    const linesBefore = sampling
      ? fs.readFileSync(path.join(dir, resourcesFile), 'utf8').split('\n').length
      : 0;
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const cpuS = cpuSecondsOf(monitor) - before;
    const lines = sampling ? fs.readFileSync(path.join(dir, resourcesFile), 'utf8').split('\n').length : 0;
    process.kill(-launched.value.pid, 'SIGKILL');
    return { cpuS, samples: (lines - linesBefore) / 6 };
  } finally {
    await new Promise((resolve) => setTimeout(resolve, 200));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const quiet = await monitorCost(false);
const busy = await monitorCost(true);
const perSampleMs = ((busy.cpuS - quiet.cpuS) * 1000) / Math.max(1, busy.samples);
// Without a cgroup of its own (RUNWARDEN_CONTAINMENT=subreaper) the monitor scans all of /proc.
const scan = await monitorCost(true, { RUNWARDEN_CONTAINMENT: 'subreaper' });
const scanMs = ((scan.cpuS - quiet.cpuS) * 1000) / Math.max(1, scan.samples);
const procCount = fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name)).length;
console.log(
  `# Resource sampling cost (${procs} processes in the job, ${os.cpus().length} cores, load ${os.loadavg()[0]?.toFixed(1)})\n`,
);
console.log('| sampler | samples | CPU per sample | share of one core at 10 s |');
console.log('|---|---|---|---|');
console.log(
  `| monitor, /proc scan (${busy.samples.toFixed(0)} samples in ${seconds} s; idle monitor ${quiet.cpuS.toFixed(2)} s CPU) | ${busy.samples.toFixed(0)} | ${perSampleMs.toFixed(2)} ms | ${((perSampleMs / 10_000) * 100).toFixed(4)} % |`,
);

console.log(
  `| monitor without a cgroup, whole /proc scan (${procCount} processes on the machine) | ${scan.samples.toFixed(0)} | ${scanMs.toFixed(2)} ms | ${((scanMs / 10_000) * 100).toFixed(4)} % |`,
);

// The GPU side: wall time of one sample with the fixture first on PATH (CPU is the fixture's python).
const fixtureBin = fileURLToPath(new URL('../test/fixtures/bin/', import.meta.url));
process.env.PATH = `${fixtureBin}:${process.env.PATH}`;
const rounds = 10;
const started = process.cpuUsage();
const wallStart = Date.now();
for (let i = 0; i < rounds; i += 1) await sampleGpus({}, [process.pid]);
const own = process.cpuUsage(started);
const gpuWallMs = (Date.now() - wallStart) / rounds;
const gpuOwnMs = (own.user + own.system) / 1000 / rounds;
console.log(
  `| follower, GPU sample (2 x fixture nvidia-smi; wall ${gpuWallMs.toFixed(0)} ms) | ${rounds} | ${gpuOwnMs.toFixed(2)} ms in node (+ the tool's own) | ${((gpuOwnMs / 10_000) * 100).toFixed(4)} % (+ nvidia-smi's) |`,
);
