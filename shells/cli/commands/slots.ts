// `runwarden slots [--json]`: the workspace's slots and who holds each; `slots --gpus [--per-gpu
// N]` writes one slot per GPU nvidia-smi lists (N per GPU); `slots --count N` makes N plain slots.
import { RunwardenError } from '../../api/errors.ts';
import type { Workspace } from '../../api/workspace.ts';
import { columnLine, painter, printJson } from '../output.ts';

export interface SlotsFlags {
  json?: boolean;
  gpus?: boolean;
  perGpu?: number;
  count?: number;
}

/** A slot's GPU, short: `GPU 0 GPU-5d4c7f3e-… (00000000:07:00.0)`, or `-`. */
function gpuText(gpu: { index: number; uuid: string; busId: string } | null): string {
  return gpu === null ? '-' : `GPU ${gpu.index} ${gpu.uuid} (${gpu.busId})`;
}

/** The slots as a table: name, GPU, the run holding it or `free`. */
export function slotLines(
  slots: readonly {
    name: string;
    index: number;
    gpu: { index: number; uuid: string; busId: string } | null;
  }[],
  holder: (name: string) => string | null,
): string[] {
  const p = painter(process.stdout);
  const head = ['SLOT', 'GPU', 'RUN'];
  const rows = slots.map((s) => [s.name, gpuText(s.gpu), holder(s.name) ?? 'free']);
  const line = columnLine(head, rows);
  return [p.bold(line(head)), ...rows.map((row) => (row[2] === 'free' ? p.dim(line(row)) : line(row)))];
}

export async function slotsCommand(ws: Workspace, flags: SlotsFlags): Promise<number> {
  if (flags.gpus === true && flags.count !== undefined)
    throw new RunwardenError('RW_USAGE', 'slots: give --gpus or --count N, not both');
  if (flags.perGpu !== undefined && flags.gpus !== true)
    throw new RunwardenError('RW_USAGE', 'slots: --per-gpu N goes with --gpus (N slots on each GPU)');
  const changing = flags.gpus === true || flags.count !== undefined;
  if (changing) {
    await ws.configureSlots(
      flags.gpus === true
        ? { gpus: true, ...(flags.perGpu === undefined ? {} : { perGpu: flags.perGpu }) }
        : { count: flags.count ?? 1 },
    );
  }
  const specs = await ws.slots();
  const status = await ws.status();
  const holderOf = new Map(status.slots.map((s) => [s.name, s.runId]));
  const holder = (name: string) => holderOf.get(name) ?? null;
  if (flags.json === true) {
    printJson(specs.map((s) => ({ ...s, runId: holder(s.name) })));
    return 0;
  }
  const lines = slotLines(specs, holder);
  if (changing) lines.unshift(`the workspace now has ${specs.length} slot${specs.length === 1 ? '' : 's'}:`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
