// Resource sampling for the shells (issue 17): a following process samples a run's GPUs (the
// monitor samples /proc on its own; nvidia-smi is called from here, through the one reader).
import { environOf, startGpuSampler } from '../../runtime/local/resource-gpu.ts';
import { readRunConfig } from './history.ts';
import type { RunView } from './status-view.ts';
import type { Workspace } from './workspace.ts';

/** How often a follower samples a run's GPUs when asked to (the monitor's default period). */
export const gpuSampleEveryMs = 10_000;

/**
 * While the returned stop() is not called, sample the GPUs of the active `run` every `everyMs`
 * into its resources (sys/gpuN/util, mem_used, mem_total, power, job_mem) — one process at a
 * time per run (a lease), only when the job sees a GPU and nvidia-smi answers. Never throws.
 */
export function sampleRunGpus(ws: Workspace, run: RunView, everyMs = gpuSampleEveryMs): () => void {
  if (run.pid === null) return () => {};
  const config = readRunConfig(ws.layout, run.id);
  if (config === null || config.sampleEveryMs === null) return () => {};
  // The job's own environment says which GPUs it sees (CUDA_VISIBLE_DEVICES from a slot, --env or
  // the shell that started it); its recorded config when /proc cannot tell.
  const env = environOf(run.pid) ?? config.env;
  return startGpuSampler({ root: ws.dir, runDir: run.dir, env, pgid: run.pid, everyMs });
}
