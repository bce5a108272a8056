// A workspace's configuration file, `<ws>/workspace.json` (issue 12): its slots now; other
// fields may follow (kept as they are when the slots are rewritten). Absent: one slot `slot0`
// with no overlay and no GPU, which is exactly today's single-run workspace.
import { mkdirSync } from 'node:fs';
import type { Result } from '../../machine/ports.ts';
import type { SlotGpu, SlotSpec } from '../../machine/queue-types.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { errnoOf, failure, success } from '../fs/fs-error.ts';
import { readJsonFile } from '../fs/read-json.ts';
import { defaultSlot, type Layout, layoutOf } from './layout.ts';

/** What `workspace.json` holds; unknown fields are other features' and are kept. */
export interface WorkspaceConfig {
  readonly slots: readonly SlotSpec[];
  /** Issue 14 (ckpt): the workspace's disk budget in bytes; read by runtime/local/prune.ts. */
  readonly diskBudgetBytes?: number;
  /** Issue 17 (sys): the default `--log-max` of a run (bytes, >= 65536). */
  readonly logMaxBytes?: number;
  /** Issue 17 (sys): the default resource sampling period; null: no sampling. */
  readonly sampleEveryMs?: number | null;
  readonly [other: string]: unknown;
}

/** Slot names: like run ids, short, never a path. */
export const slotNamePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Most slots one workspace may have (a bound on every per-slot loop). */
export const slotsMax = 256;

/** The single slot of a workspace without configuration. */
export const defaultSlots: readonly SlotSpec[] = [{ ...defaultSlot, env: {}, gpu: null }];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** Why `value` is not a valid slot list, or null. */
export function slotsProblem(value: unknown): string | null {
  if (!Array.isArray(value) || value.length === 0) return 'slots must be a non-empty list';
  if (value.length > slotsMax) return `at most ${slotsMax} slots, got ${value.length}`;
  const names = new Set<string>();
  for (const [i, slot] of value.entries()) {
    if (!isObject(slot)) return `slot ${i} is not an object`;
    if (typeof slot.name !== 'string' || !slotNamePattern.test(slot.name))
      return `slot ${i} has an invalid name ${JSON.stringify(slot.name)} (letters, digits, '.', '-', '_')`;
    if (names.has(slot.name)) return `slot name ${slot.name} is used twice`;
    names.add(slot.name);
    if (slot.index !== i) return `slot ${slot.name} has index ${String(slot.index)}, expected ${i}`;
    if (!isObject(slot.env) || Object.values(slot.env).some((v) => typeof v !== 'string'))
      return `slot ${slot.name}: env must map names to strings`;
    const gpu = slot.gpu;
    if (gpu !== null && !(isObject(gpu) && typeof gpu.uuid === 'string' && typeof gpu.index === 'number'))
      return `slot ${slot.name}: gpu must be null or { index, uuid, busId }`;
  }
  return null;
}

/** A settings file may hold no slots (only other settings: a disk budget, a log cap): one slot then. */
const isConfig = (v: unknown): v is WorkspaceConfig =>
  isObject(v) && (v.slots === undefined || slotsProblem(v.slots) === null);

/** The workspace's configuration; the default one when `workspace.json` is absent. */
export function readWorkspaceConfig(layout: Layout): Result<WorkspaceConfig> {
  const read = readJsonFile(layout.root, layout.workspaceConfig, isConfig);
  if (!read.ok) return read;
  if (read.value.state === 'missing') return success({ slots: defaultSlots });
  if (read.value.state === 'corrupt') {
    const raw = readJsonFile(layout.root, layout.workspaceConfig, isObject);
    const why = raw.ok && raw.value.state === 'ok' ? slotsProblem(raw.value.value.slots) : null;
    return failure(
      'RW_CONFIG_INVALID',
      `${layout.workspaceConfig} is invalid (${why ?? read.value.detail}); fix it or set the slots again with runwarden slots`,
    );
  }
  return success({ ...read.value.value, slots: read.value.value.slots ?? defaultSlots });
}

/** The workspace's slots (RW_CONFIG_INVALID as an exception-free Result). */
export function readSlots(layout: Layout): Result<readonly SlotSpec[]> {
  const config = readWorkspaceConfig(layout);
  return config.ok ? success(config.value.slots) : config;
}

/** Durably replace the slots in `workspace.json`, keeping its other fields. */
export function writeSlots(layout: Layout, slots: readonly SlotSpec[]): Result<null> {
  const problem = slotsProblem(slots);
  if (problem !== null) return failure('RW_USAGE', `invalid slots: ${problem}`);
  const current = readWorkspaceConfig(layout);
  const base = current.ok ? current.value : { slots };
  try {
    mkdirSync(layout.root, { recursive: true, mode: 0o700 });
  } catch (error) {
    return failure('RW_WORKSPACE_FAILED', `creating the workspace ${layout.root}: ${errnoOf(error)}`);
  }
  return writeFileAtomic(
    layout.root,
    layout.workspaceConfig,
    `${JSON.stringify({ ...base, slots }, null, 2)}\n`,
  );
}

/** The layout of one slot (its lock and claims; everything else at the workspace root). */
export function slotLayout(root: string, slot: SlotSpec): Layout {
  return layoutOf(root, { name: slot.name, index: slot.index });
}

/** `count` plain slots `slot0`… (no overlay, no GPU). */
export function plainSlots(count: number): SlotSpec[] {
  return Array.from({ length: count }, (_, index) => ({ name: `slot${index}`, index, env: {}, gpu: null }));
}

/**
 * One slot per GPU (`perGpu` per GPU: `gpu0`, `gpu1`, …, then `gpu0b`, `gpu1b`, …, so the lowest
 * indexes spread over distinct GPUs first), from nvidia-smi rows `index, uuid, pci.bus_id`. Each
 * slot's overlay names its GPU by UUID, with PCI bus order.
 */
export function gpuSlots(gpus: readonly SlotGpu[], perGpu = 1): SlotSpec[] {
  const slots: SlotSpec[] = [];
  for (let round = 0; round < perGpu; round++) {
    for (const gpu of gpus) {
      const suffix = round === 0 ? '' : String.fromCharCode(97 + round);
      slots.push({
        name: `gpu${gpu.index}${suffix}`,
        index: slots.length,
        env: { CUDA_VISIBLE_DEVICES: gpu.uuid, CUDA_DEVICE_ORDER: 'PCI_BUS_ID' },
        gpu,
      });
    }
  }
  return slots;
}

/** The GPUs of `nvidia-smi --query-gpu=index,uuid,pci.bus_id` rows; RW_GPU_QUERY_FAILED when malformed. */
export function gpusOfRows(rows: readonly (readonly string[])[]): Result<SlotGpu[]> {
  const gpus: SlotGpu[] = [];
  for (const row of rows) {
    const [index, uuid, busId] = row;
    if (index === undefined || uuid === undefined || busId === undefined || !/^\d+$/.test(index))
      return failure('RW_GPU_QUERY_FAILED', `nvidia-smi printed an unexpected line: ${row.join(', ')}`);
    gpus.push({ index: Number(index), uuid, busId });
  }
  return success(gpus);
}

/**
 * The environment a run on `held` slots needing `gpus` GPUs gets from them (issue 12): the slots'
 * overlays merged; k GPU slots give `CUDA_VISIBLE_DEVICES=uuid1,uuid2` with PCI bus order; a run
 * that asks for no GPU on a workspace with GPU slots gets `CUDA_VISIBLE_DEVICES=""` (even on a
 * GPU slot); and `RUNWARDEN_SLOT`, `RUNWARDEN_SLOT_INDEX` (the first slot's) and `RUNWARDEN_SLOTS`
 * (all, comma-joined). These win over the user's variables: a job never sees another slot's GPU.
 */
export function slotEnv(
  all: readonly SlotSpec[],
  held: readonly SlotSpec[],
  gpus: number,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const slot of held) Object.assign(env, slot.env);
  const withGpu = held.filter((s) => s.gpu !== null);
  if (gpus > 0 && withGpu.length > 0) {
    env.CUDA_VISIBLE_DEVICES = withGpu.map((s) => s.gpu?.uuid ?? '').join(',');
    env.CUDA_DEVICE_ORDER = 'PCI_BUS_ID';
  } else if (all.some((s) => s.gpu !== null)) {
    env.CUDA_VISIBLE_DEVICES = '';
  }
  const first = held[0];
  if (first !== undefined) {
    env.RUNWARDEN_SLOT = first.name;
    env.RUNWARDEN_SLOT_INDEX = String(first.index);
    env.RUNWARDEN_SLOTS = held.map((s) => s.name).join(',');
  }
  return env;
}
