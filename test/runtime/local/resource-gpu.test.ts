// Proves the GPU side of resource sampling (issue 17) with a fixture `nvidia-smi` first on PATH:
// this machine has no GPU, and test/fixtures/bin/nvidia-smi prints the real tool's CSV format
// (recorded from a 2 x A100 box, or the GPUs in $RW_FAKE_GPUS). The job's GPUs are picked by
// CUDA_VISIBLE_DEVICES, its processes' GPU memory is attributed by pid, samples land as metrics.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resourcesFile } from '../../../runtime/local/resource-files.ts';
import {
  type GpuSample,
  groupPids,
  idleSinceOf,
  sampleGpus,
  startGpuSampler,
  takeGpuLease,
  visibleGpus,
} from '../../../runtime/local/resource-gpu.ts';
import { RunFollower } from '../../../runtime/progress/run-follower.ts';
import { resourceLine } from '../../../shells/cli/resource-line.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const fixtureBin = fileURLToPath(new URL('../../fixtures/bin/', import.meta.url));
const savedPath = process.env.PATH;
const uuid0 = 'GPU-5d4c7f3e-2b1a-4c9d-8e7f-6a5b4c3d2e1f';
const uuid1 = 'GPU-9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d';
let children: ChildProcess[] = [];
let dir = '';

// A job in its own process group (a shell with a sleeping child), ended by PID after each test.
function startJob(): ChildProcess {
  const child = spawn('sh', ['-c', 'sleep 60 & wait'], { detached: true, stdio: 'ignore' });
  children.push(child);
  return child;
}

beforeEach(() => {
  process.env.PATH = `${fixtureBin}:${savedPath}`;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rw-gpu-'));
});

afterEach(async () => {
  process.env.PATH = savedPath;
  delete process.env.RW_FAKE_GPUS;
  delete process.env.RW_FAKE_GPU_APPS;
  for (const child of children) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already ended by the test
    }
  }
  await waitFor(() => children.every((c) => c.exitCode !== null || c.signalCode !== null) || null, {
    timeoutMs: 10_000,
    description: 'the test jobs to end',
  });
  children = [];
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('sampleGpus', () => {
  it("samples only the job's GPUs and attributes GPU memory to the job's own pids", async () => {
    const job = startJob();
    const pid = job.pid ?? 0;
    process.env.RW_FAKE_GPUS = JSON.stringify([
      {
        index: 0,
        uuid: uuid0,
        'utilization.gpu': 3,
        'memory.used': 100,
        'memory.total': 81920,
        'power.draw': 61.5,
      },
      {
        index: 1,
        uuid: uuid1,
        'utilization.gpu': 87,
        'memory.used': 10240,
        'memory.total': 81920,
        'power.draw': 250.12,
      },
    ]);
    process.env.RW_FAKE_GPU_APPS = JSON.stringify([
      { pid, used_memory: 9000, gpu_uuid: uuid1 },
      { pid: 999_999, used_memory: 1000, gpu_uuid: uuid1 }, // someone else's process
    ]);
    const sampled = await sampleGpus({ CUDA_VISIBLE_DEVICES: '1' }, groupPids(pid));
    expect(sampled).toEqual({
      ok: true,
      gpus: [
        {
          n: 0,
          uuid: uuid1,
          utilPercent: 87,
          memUsedBytes: 10240 * 1024 * 1024,
          memTotalBytes: 81920 * 1024 * 1024,
          powerW: 250.12,
          jobMemBytes: 9000 * 1024 * 1024,
        },
      ],
    });
  });

  it('says why when nvidia-smi is missing or fails (never throws)', async () => {
    process.env.PATH = '/nonexistent';
    expect(await sampleGpus({}, [])).toEqual({ ok: false, reason: 'nvidia-smi was not found on PATH' });
    process.env.PATH = `${fixtureBin}:${savedPath}`;
    process.env.RW_FAKE_NVIDIA_SMI = 'fail';
    try {
      const failed = await sampleGpus({}, []);
      expect(failed.ok).toBe(false);
    } finally {
      delete process.env.RW_FAKE_NVIDIA_SMI;
    }
  });
});

describe('visibleGpus', () => {
  const rows = [
    ['0', uuid0],
    ['1', uuid1],
  ];
  it('reads CUDA_VISIBLE_DEVICES as CUDA does: indices, UUID prefixes, stopping at the first unknown', () => {
    expect(visibleGpus(rows, {})).toEqual(rows);
    expect(visibleGpus(rows, { CUDA_VISIBLE_DEVICES: '1,0' })).toEqual([rows[1], rows[0]]);
    expect(visibleGpus(rows, { CUDA_VISIBLE_DEVICES: 'GPU-9a8b' })).toEqual([rows[1]]);
    expect(visibleGpus(rows, { CUDA_VISIBLE_DEVICES: '0,7,1' })).toEqual([rows[0]]);
    expect(visibleGpus(rows, { CUDA_VISIBLE_DEVICES: '' })).toEqual([]);
  });
});

describe('startGpuSampler', () => {
  it("appends sys/gpuN metrics to the run's resources, read back as metrics by a follower", async () => {
    const job = startJob();
    const runDir = path.join(dir, 'run');
    fs.mkdirSync(runDir);
    const stop = startGpuSampler({ root: dir, runDir, env: {}, pgid: job.pid ?? 0, everyMs: 100 });
    try {
      const metrics = await waitFor(
        () => {
          const view = new RunFollower(runDir).poll();
          return view.metrics['sys/gpu1/power'] === undefined ? null : view.metrics;
        },
        { timeoutMs: 20_000, description: 'GPU samples in resources.ndjson' },
      );
      // The recorded A100s of the fixture: idle, 4 MiB used of 80 GiB.
      expect(metrics['sys/gpu0/util']?.value).toBe(0);
      expect(metrics['sys/gpu0/mem_total']?.value).toBe(81920 * 1024 * 1024);
      expect(metrics['sys/gpu1/power']?.value).toBe(59.86);
    } finally {
      stop();
    }
    expect(fs.readFileSync(path.join(runDir, resourcesFile), 'utf8')).toContain('"name":"sys/gpu0/util"');
  });

  it("leaves a live process's lease alone and takes over a dead one's", async () => {
    const holder = startJob();
    const runDir = path.join(dir, 'run');
    fs.mkdirSync(runDir);
    const stat = fs.readFileSync(`/proc/${holder.pid}/stat`, 'utf8');
    const startTime = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const lease = { pid: holder.pid, startTime, bootId, untilMs: Date.now() + 60_000 };
    fs.writeFileSync(path.join(runDir, 'gpu-sampler.json'), JSON.stringify(lease));
    expect(takeGpuLease(dir, runDir, 1000, Date.now())).toBe(false);
    process.kill(-(holder.pid ?? 0), 'SIGKILL');
    await waitFor(() => holder.signalCode !== null || null, {
      timeoutMs: 10_000,
      description: 'holder gone',
    });
    expect(takeGpuLease(dir, runDir, 1000, Date.now())).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(runDir, 'gpu-sampler.json'), 'utf8')).pid).toBe(process.pid);
  });
});

describe('the GPU idle notice', () => {
  const gpu = (util: number | null): GpuSample => ({
    n: 0,
    uuid: uuid0,
    utilPercent: util,
    memUsedBytes: null,
    memTotalBytes: null,
    powerW: null,
    jobMemBytes: 0,
  });
  it('counts idle time from the first sample with every GPU below 5 %, and resets on a busy one', () => {
    expect(idleSinceOf(null, [gpu(3)], 1000)).toBe(1000);
    expect(idleSinceOf(1000, [gpu(0), { ...gpu(4), n: 1 }], 5000)).toBe(1000);
    expect(idleSinceOf(1000, [gpu(0), { ...gpu(50), n: 1 }], 9000)).toBeNull();
    expect(idleSinceOf(1000, [gpu(null)], 9000)).toBeNull(); // not known: not called idle
    expect(idleSinceOf(null, [], 9000)).toBeNull();
  });
  it('shows on the resource line after 10 minutes, not before', () => {
    expect(resourceLine({ 'sys/gpu0/util': 1, 'sys/gpu_idle_ms': 9 * 60_000 })).not.toContain('idle');
    expect(resourceLine({ 'sys/gpu0/util': 1, 'sys/gpu_idle_ms': 12 * 60_000 })).toContain(
      'GPU idle < 5% for 12 min',
    );
  });
});
