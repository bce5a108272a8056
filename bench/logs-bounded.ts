// Bounded logs (issue 17): how fast a job writes 1 GiB under `--log-max` against a plain redirect,
// and what each policy keeps of that output: runwarden's head + newest part, conmon's
// --log-size-max, supervisord's rotation (both as their docs and source describe them).
// Run with `npx node bench/logs-bounded.ts [GiB] [rounds] [dir]`. Figures to read, not pass/fail.
//
// The job is python3 writing the output in 1 MiB os.write() calls of 64-byte lines (raw syscall
// speed: the fastest a real job writes) and reporting its own write time; every variant runs
// `rounds` times, interleaved, and the median is shown.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeLogMax } from '../runtime/local/log-cap-layout.ts';
import { launchMonitored } from '../runtime/local/monitor/launch.ts';

const gib = Number(process.argv[2] ?? 1);
const rounds = Number(process.argv[3] ?? 3);
/** Where the logs go (default the temp dir, a disk here; /dev/shm takes the disk out of the figure). */
const baseDir = process.argv[4] ?? os.tmpdir();
const totalBytes = Math.round(gib * 1024 ** 3);
const JOB = `
import os, sys, time
block = b''.join(b'x' * 54 + b' %08d\\n' % i for i in range(16384))
assert len(block) == 1 << 20, len(block)
blocks = ${Math.ceil(totalBytes / 2 ** 20)}
t = time.monotonic()
for _ in range(blocks):
    os.write(1, block)
open(sys.argv[1], 'w').write('%f' % (time.monotonic() - t))
`;

interface Variant {
  readonly name: string;
  readonly capBytes: number | null; // null: plain redirect, no monitor; 0: monitor without a cap
  readonly pipe?: boolean; // RUNWARDEN_LOG_CAP=pipe: the fallback where holes cannot be punched
}

const variants: Variant[] = [
  { name: 'plain redirect (no monitor)', capBytes: null },
  { name: 'rw-monitor, no --log-max', capBytes: 0 },
  { name: `rw-monitor, --log-max ${gib}G (no drop)`, capBytes: totalBytes },
  { name: `rw-monitor, --log-max ${Math.round((gib * 1024) / 4)}M (drops 3/4)`, capBytes: totalBytes / 4 },
  { name: `same, pipe fallback (RUNWARDEN_LOG_CAP=pipe)`, capBytes: totalBytes / 4, pipe: true },
];

// CPU seconds (user + system) of a live pid, from /proc/PID/stat; null once gone.
function cpuSecondsOf(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

// One run of a variant in a fresh directory: the job's write time, the monitor's CPU, the log's size.
async function runOnce(
  variant: Variant,
): Promise<{ writeS: number; monitorCpuS: number; logBytes: number; peakBytes: number }> {
  const dir = fs.mkdtempSync(path.join(baseDir, 'rw-bench-logs-'));
  const timeFile = path.join(dir, 'write-seconds');
  const out = path.join(dir, 'stdout.log');
  const err = path.join(dir, 'stderr.log');
  const argv = ['python3', '-c', JOB, timeFile];
  let monitorCpuS = 0;
  let peakBytes = 0; // the log's disk use (allocated blocks), sampled every 20 ms
  try {
    if (variant.capBytes === null) {
      const fd = fs.openSync(out, 'a', 0o600);
      const child = spawn(argv[0] ?? 'python3', argv.slice(1), { stdio: ['ignore', fd, 'inherit'] });
      fs.closeSync(fd);
      await new Promise((resolve) => child.on('close', resolve));
    } else {
      if (variant.capBytes > 0 && !writeLogMax(dir, dir, variant.capBytes, [out, err]).ok)
        throw new Error('bench: could not write log-max-bytes');
      const launched = await launchMonitored({
        runDir: dir,
        argv,
        cwd: dir,
        env: variant.pipe === true ? { RUNWARDEN_LOG_CAP: 'pipe' } : {},
        stdoutPath: out,
        stderrPath: err,
        startTimeoutMs: 30_000,
      });
      if (!launched.ok) throw new Error(`bench: launch failed: ${launched.error.message}`);
      const released = await launched.value.release();
      if (!released.ok) throw new Error(`bench: release failed: ${released.error.message}`);
      // Sampled until the monitor is gone: its last reading is its CPU time (±10 ms).
      for (let cpu = cpuSecondsOf(launched.value.monitorPid); cpu !== null; ) {
        monitorCpuS = cpu;
        peakBytes = Math.max(peakBytes, fs.statSync(out).blocks * 512);
        if (fs.existsSync(path.join(dir, 'exit.json'))) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
        cpu = cpuSecondsOf(launched.value.monitorPid);
      }
    }
    const writeS = Number(fs.readFileSync(timeFile, 'utf8'));
    const blocks = fs.statSync(out).blocks * 512;
    return { writeS, monitorCpuS, logBytes: blocks, peakBytes: Math.max(peakBytes, blocks) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

const results = new Map<
  string,
  { writeS: number[]; monitorCpuS: number[]; logBytes: number; peakBytes: number }
>();
for (let round = 0; round < rounds; round += 1) {
  for (const variant of variants) {
    const r = await runOnce(variant);
    const entry = results.get(variant.name) ?? { writeS: [], monitorCpuS: [], logBytes: 0, peakBytes: 0 };
    entry.writeS.push(r.writeS);
    entry.monitorCpuS.push(r.monitorCpuS);
    entry.logBytes = r.logBytes;
    entry.peakBytes = Math.max(entry.peakBytes, r.peakBytes);
    results.set(variant.name, entry);
  }
}

const plainS = median(results.get(variants[0]?.name ?? '')?.writeS ?? []);
console.log(
  `# Bounded logs: a job writing ${gib} GiB into ${baseDir} (median of ${rounds}, ${os.cpus().length} cores, load ${os.loadavg()[0]?.toFixed(1)})\n`,
);
console.log(
  '| variant | job write time | MiB/s | vs plain | monitor CPU | disk use at end | peak (20 ms samples) |',
);
console.log('|---|---|---|---|---|---|---|');
for (const variant of variants) {
  const r = results.get(variant.name);
  if (r === undefined) continue;
  const s = median(r.writeS);
  const mibs = totalBytes / 2 ** 20 / s;
  console.log(
    `| ${variant.name} | ${s.toFixed(2)} s | ${mibs.toFixed(0)} | ${(plainS / s).toFixed(2)}x | ${median(r.monitorCpuS).toFixed(2)} s | ${(r.logBytes / 2 ** 20).toFixed(0)} MiB | ${(r.peakBytes / 2 ** 20).toFixed(0)} MiB |`,
  );
}

// What each policy keeps of the same output, from what its docs and source say it does.
const cap = totalBytes / 4;
console.log(`\n# What is kept of ${gib} GiB with a ${(cap / 2 ** 20).toFixed(0)} MiB budget\n`);
console.log('| policy | first bytes (start-up) | newest bytes | dropped bytes counted | on disk at most |');
console.log('|---|---|---|---|---|');
console.log(
  `| runwarden --log-max | first ${(cap / 4 / 2 ** 20).toFixed(0)} MiB (to a line end) | at least the last ${((cap - cap / 4) / 2 / 2 ** 20).toFixed(0)} MiB | yes: marker line + .cap sidecar | the cap |`,
);
const conmonKept = totalBytes % cap || cap;
console.log(
  `| conmon --log-size-max (k8s-file) | no: on reaching the cap it truncates the log (reopen_k8s_file: O_TRUNC tmp + rename) | only what came since the last truncation: ${(conmonKept / 2 ** 20).toFixed(0)} MiB here, 0 right after one | no | the cap |`,
);
const backups = 10;
const part = cap / (backups + 1);
console.log(
  `| supervisord stdout_logfile_maxbytes=${(part / 2 ** 20).toFixed(0)}MB, _backups=${backups} | no: rotation renames the log to .1 … .${backups} and deletes the oldest | the last ${((part * (backups + 1)) / 2 ** 20).toFixed(0)} MiB in ${backups + 1} files | no | maxbytes × (backups + 1) |`,
);
