// GPU samples of a run (issue 17): its GPUs' utilisation, memory and power, and the GPU memory its
// own processes hold, through the one nvidia-smi reader, appended as metric events to resources.ndjson.
//
// The monitor samples /proc; nvidia-smi is a program only the TypeScript side calls (bounded,
// never throwing: runtime/local/nvidia-smi.ts). So GPUs are sampled by a runwarden process that
// follows the run (watch, top, serve), one at a time: the one holding the run's lease
// (gpu-sampler.json, renewed every sample; a dead or late holder's lease is taken over).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { appendLine } from '../fs/ndjson-append.ts';
import { readJsonFile } from '../fs/read-json.ts';
import { identityOf, type LocalIdentity, probe } from './identity.ts';
import { queryNvidiaSmi } from './nvidia-smi.ts';
import { readProcStat } from './proc-stat.ts';
import { resourcesFile } from './resource-files.ts';

/** The fields asked of every GPU, in this order. */
export const gpuFields = [
  'index',
  'uuid',
  'utilization.gpu',
  'memory.used',
  'memory.total',
  'power.draw',
] as const;

/** One sampled GPU, numbered as the job sees it (its n-th visible device). */
export interface GpuSample {
  readonly n: number;
  readonly uuid: string;
  readonly utilPercent: number | null;
  readonly memUsedBytes: number | null;
  readonly memTotalBytes: number | null;
  readonly powerW: number | null;
  /** GPU memory held by the job's own processes (compute apps whose pid is one of them). */
  readonly jobMemBytes: number;
}

const mib = 1024 * 1024;

// A CSV value as a number; null for nvidia-smi's "[N/A]", "[Not Supported]" and the like.
function numberOf(text: string | undefined): number | null {
  const value = Number(text);
  return text === undefined || text === '' || !Number.isFinite(value) ? null : value;
}

/**
 * The GPUs a job with environment `env` uses, in the order it sees them: CUDA_VISIBLE_DEVICES
 * (indices or UUIDs, as CUDA reads it) when set, else every GPU (the slots of issue 12 set it).
 */
export function visibleGpus(
  rows: readonly (readonly string[])[],
  env: Readonly<Record<string, string | undefined>>,
): (readonly string[])[] {
  const visible = env.CUDA_VISIBLE_DEVICES;
  if (visible === undefined) return [...rows];
  const chosen: (readonly string[])[] = [];
  for (const id of visible.split(',').map((part) => part.trim())) {
    if (id === '') break; // CUDA stops at the first invalid entry
    const row = rows.find((r) => (/^\d+$/.test(id) ? r[0] === id : (r[1] ?? '').startsWith(id)));
    if (row === undefined) break;
    chosen.push(row);
  }
  return chosen;
}

/** The pids of the process group `pgid` (the job's), from /proc. */
export function groupPids(pgid: number): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProcStat(Number(name));
    if (stat !== null && stat.pgid === pgid && stat.state !== 'Z') pids.push(Number(name));
  }
  return pids;
}

/** The run's GPUs now, or why not (no nvidia-smi, no GPU visible to the job). */
export async function sampleGpus(
  env: Readonly<Record<string, string | undefined>>,
  jobPids: readonly number[],
  timeoutMs?: number,
): Promise<
  { readonly ok: true; readonly gpus: GpuSample[] } | { readonly ok: false; readonly reason: string }
> {
  const gpus = await queryNvidiaSmi('gpu', gpuFields, timeoutMs);
  if (!gpus.ok) return gpus;
  const mine = visibleGpus(gpus.rows, env);
  if (mine.length === 0) return { ok: false, reason: 'no GPU is visible to the job' };
  const apps = await queryNvidiaSmi('compute-apps', ['pid', 'used_memory', 'gpu_uuid'], timeoutMs);
  const own = new Set(jobPids);
  const jobMem = new Map<string, number>();
  for (const [pid, used, uuid] of apps.ok ? apps.rows : []) {
    if (!own.has(Number(pid)) || uuid === undefined) continue;
    jobMem.set(uuid, (jobMem.get(uuid) ?? 0) + (numberOf(used) ?? 0) * mib);
  }
  return {
    ok: true,
    gpus: mine.map((row, n) => {
      const [, uuid = '', util, used, total, power] = row;
      const mem = (v: string | undefined) => {
        const x = numberOf(v);
        return x === null ? null : x * mib;
      };
      const sample = {
        n,
        uuid,
        utilPercent: numberOf(util),
        memUsedBytes: mem(used),
        memTotalBytes: mem(total),
      };
      return { ...sample, powerW: numberOf(power), jobMemBytes: jobMem.get(uuid) ?? 0 };
    }),
  };
}

/** The metric events of one GPU sample, as the monitor writes its own (sys/gpu0/util, …). */
export function gpuMetricEvents(gpus: readonly GpuSample[], atMs: number): Record<string, unknown>[] {
  const t = new Date(atMs).toISOString();
  const events: Record<string, unknown>[] = [];
  for (const gpu of gpus) {
    const values: [string, number | null][] = [
      ['util', gpu.utilPercent],
      ['mem_used', gpu.memUsedBytes],
      ['mem_total', gpu.memTotalBytes],
      ['power', gpu.powerW],
      ['job_mem', gpu.jobMemBytes],
    ];
    for (const [name, value] of values) {
      if (value !== null) events.push({ t, kind: 'metric', name: `sys/gpu${gpu.n}/${name}`, value });
    }
  }
  return events;
}

/** The lease on sampling a run's GPUs: who holds it, until when. */
interface GpuLease {
  readonly pid: number;
  readonly startTime: number;
  readonly bootId: string;
  readonly untilMs: number;
}

const leaseFile = 'gpu-sampler.json';

// The lease file's shape (anything else is taken over as if absent).
function isGpuLease(value: unknown): value is GpuLease {
  const v = value as Partial<GpuLease> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    Number.isSafeInteger(v.pid) &&
    (v.pid ?? 0) > 0 &&
    typeof v.startTime === 'number' &&
    typeof v.bootId === 'string' &&
    typeof v.untilMs === 'number'
  );
}

/**
 * Take or renew the lease on sampling the GPUs of the run in `runDir` for `holdMs`: true when
 * this process holds it now. Another live holder's unexpired lease is left alone.
 */
export function takeGpuLease(root: string, runDir: string, holdMs: number, nowMs: number): boolean {
  const self = identityOf(process.pid);
  if (self === null) return false;
  const path = join(runDir, leaseFile);
  const read = readJsonFile(root, path, isGpuLease);
  const held = read.ok && read.value.state === 'ok' ? read.value.value : null;
  if (held !== null && held.pid !== process.pid && held.untilMs > nowMs) {
    const identity: LocalIdentity = {
      kind: 'local',
      pid: held.pid,
      startTime: held.startTime,
      bootId: held.bootId,
    };
    if (probe(identity).state !== 'gone') return false;
  }
  const lease: GpuLease = {
    pid: self.pid,
    startTime: self.startTime,
    bootId: self.bootId,
    untilMs: nowMs + holdMs,
  };
  return writeFileAtomic(root, path, `${JSON.stringify(lease)}\n`, { mode: 0o600 }).ok;
}

/** Append one GPU sample of the run to its resources.ndjson; why not, when there is nothing to append. */
export function appendGpuSample(
  root: string,
  runDir: string,
  gpus: readonly GpuSample[],
  atMs: number,
): void {
  for (const event of gpuMetricEvents(gpus, atMs)) appendLine(root, join(runDir, resourcesFile), event);
}

/** What a GPU sampler loop needs to know of its run. */
export interface GpuSamplerOptions {
  readonly root: string;
  readonly runDir: string;
  /** The job's environment (CUDA_VISIBLE_DEVICES picks its GPUs). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The job's pid, which leads its process group. */
  readonly pgid: number;
  readonly everyMs: number;
  readonly nowMs?: () => number;
}

/** Below this utilisation on every one of its GPUs, a job counts as leaving its GPUs idle. */
export const gpuIdlePercent = 5;

/**
 * Since when the job's GPUs have all been idle (< 5 %), given the previous answer and a new
 * sample at `atMs`: null when one of them is busy (or there are none).
 */
export function idleSinceOf(
  previous: number | null,
  gpus: readonly GpuSample[],
  atMs: number,
): number | null {
  const idle =
    gpus.length > 0 && gpus.every((gpu) => gpu.utilPercent !== null && gpu.utilPercent < gpuIdlePercent);
  return idle ? (previous ?? atMs) : null;
}

/**
 * Sample the run's GPUs every `everyMs` while this process holds the run's lease, until the
 * returned stop() (or the job's group is empty). Never throws; a machine without nvidia-smi
 * stops after the first try. The timer does not keep the process alive.
 */
export function startGpuSampler(opts: GpuSamplerOptions): () => void {
  const now = opts.nowMs ?? Date.now;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let idleSince: number | null = null;
  const tick = async () => {
    if (stopped) return;
    const pids = groupPids(opts.pgid);
    if (pids.length === 0) return; // the job is gone: nothing more to sample
    if (takeGpuLease(opts.root, opts.runDir, 3 * opts.everyMs, now())) {
      const sampled = await sampleGpus(opts.env, pids);
      if (!sampled.ok) return; // no nvidia-smi or no GPU of the job's: stop trying
      if (!stopped) {
        const at = now();
        appendGpuSample(opts.root, opts.runDir, sampled.gpus, at);
        // The notice "GPU idle < 5 % for 10 min" reads this (a job stuck in data loading).
        idleSince = idleSinceOf(idleSince, sampled.gpus, at);
        const idle = {
          t: new Date(at).toISOString(),
          kind: 'metric',
          name: 'sys/gpu_idle_ms',
          value: idleSince === null ? 0 : at - idleSince,
        };
        appendLine(opts.root, join(opts.runDir, resourcesFile), idle);
      }
    }
    if (!stopped) {
      timer = setTimeout(() => void tick(), opts.everyMs);
      timer.unref();
    }
  };
  void tick();
  return () => {
    stopped = true;
    if (timer !== null) clearTimeout(timer);
  };
}

/** The environment process `pid` started with (/proc/PID/environ), or null when unreadable. */
export function environOf(pid: number): Record<string, string> | null {
  try {
    const env: Record<string, string> = {};
    for (const pair of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
      const at = pair.indexOf('=');
      if (at > 0) env[pair.slice(0, at)] = pair.slice(at + 1);
    }
    return env;
  } catch {
    return null;
  }
}
