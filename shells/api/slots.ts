// A workspace's slots through the library API (issue 12): what they are, who holds each, and
// setting them (one per GPU from nvidia-smi, or N plain ones).
import type { SlotGpu, SlotSpec } from '../../machine/queue-types.ts';
import { queryNvidiaSmi } from '../../runtime/local/nvidia-smi.ts';
import type { SlotOccupancy } from '../../runtime/local/queue-ports.ts';
import { gpuSlots, gpusOfRows, plainSlots, slotsMax } from '../../runtime/local/workspace-config.ts';
import { RunwardenError } from './errors.ts';

/** A slot as `status` shows it: free (runId null) or the run holding it. */
export interface SlotView {
  readonly name: string;
  readonly index: number;
  readonly gpu: SlotGpu | null;
  /** The run holding the slot; null when free. */
  readonly runId: string | null;
}

/** How to set a workspace's slots: one per GPU (`perGpu` per GPU, default 1) or `count` plain ones. */
export type ConfigureSlotsOptions =
  | { readonly gpus: true; readonly perGpu?: number }
  | { readonly count: number };

/** Most slots per GPU `configureSlots` makes. */
export const perGpuMax = 8;

/** The slot views of an occupancy (a slot held by an unreadable lock shows `?`). */
export function slotViewsOf(occupancy: readonly SlotOccupancy[]): SlotView[] {
  return occupancy.map((o) => ({
    name: o.slot.name,
    index: o.slot.index,
    gpu: o.slot.gpu,
    runId: o.runIds.length === 0 ? null : o.runIds[0] || '?',
  }));
}

/** The slots `options` asks for (RW_USAGE for a bad count; nvidia-smi's failure named). */
export async function wantedSlots(options: ConfigureSlotsOptions): Promise<SlotSpec[]> {
  if ('count' in options) {
    const { count } = options;
    if (!Number.isSafeInteger(count) || count < 1 || count > slotsMax)
      throw new RunwardenError(
        'RW_USAGE',
        `--count must be a whole number from 1 to ${slotsMax}, got ${count}`,
      );
    return plainSlots(count);
  }
  const perGpu = options.perGpu ?? 1;
  if (!Number.isSafeInteger(perGpu) || perGpu < 1 || perGpu > perGpuMax)
    throw new RunwardenError(
      'RW_USAGE',
      `--per-gpu must be a whole number from 1 to ${perGpuMax}, got ${perGpu}`,
    );
  const answer = await queryNvidiaSmi('gpu', ['index', 'uuid', 'pci.bus_id']);
  if (!answer.ok)
    throw new RunwardenError(
      'RW_GPU_QUERY_FAILED',
      `cannot list the GPUs: ${answer.reason}; install the NVIDIA driver or use slots --count N`,
    );
  const gpus = gpusOfRows(answer.rows);
  if (!gpus.ok) throw RunwardenError.of(gpus.error);
  if (gpus.value.length === 0)
    throw new RunwardenError('RW_NOT_FOUND', 'nvidia-smi lists no GPU; use slots --count N for plain slots');
  const slots = gpuSlots(gpus.value, perGpu);
  if (slots.length > slotsMax)
    throw new RunwardenError('RW_USAGE', `${slots.length} slots is more than ${slotsMax}; lower --per-gpu`);
  return slots;
}

/**
 * Why the slots cannot change now, or null: a slot that a run holds would change or go away
 * (its overlay is the run's environment, its lock the run's).
 */
export function slotChangeConflict(
  occupancy: readonly SlotOccupancy[],
  next: readonly SlotSpec[],
): string | null {
  for (const o of occupancy) {
    if (o.runIds.length === 0) continue;
    const replaced = next[o.slot.index];
    if (replaced !== undefined && JSON.stringify(replaced) === JSON.stringify(o.slot)) continue;
    const holder = o.runIds[0] || 'a run with an unreadable lock';
    return `slot ${o.slot.name} holds run ${holder} and would ${replaced === undefined ? 'go away' : 'change'}; wait for it to end (or abort it), then set the slots again`;
  }
  return null;
}
