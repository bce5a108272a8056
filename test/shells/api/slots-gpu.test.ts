// GPU slots through the library (issue 12). There is no GPU here: test/fixtures/bin/nvidia-smi,
// first on PATH, prints the real tool's CSV (`--query-gpu=index,uuid,pci.bus_id`) for the recorded
// 2 x A100 machine. Each job writes what it sees; each must see exactly its own GPUs' UUIDs.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openWorkspace, RunwardenError } from '../../../shells/api/index.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { endAll, tempBase } from '../../runtime/local/queue-helpers.ts';

const fixtureBin = fileURLToPath(new URL('../../fixtures/bin', import.meta.url));
const uuid0 = 'GPU-5d4c7f3e-2b1a-4c9d-8e7f-6a5b4c3d2e1f';
const uuid1 = 'GPU-9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d';

let base = '';
let ws = '';
let path: string | undefined;
beforeEach(() => {
  ({ base, ws } = tempBase());
  path = process.env.PATH;
  process.env.PATH = `${fixtureBin}:${path}`;
});
afterEach(async () => {
  process.env.PATH = path;
  expect(await endAll(base)).toEqual([]);
});

/** A job that writes what it sees of the GPUs to `<base>/<tag>`, then waits for `<base>/gate-<tag>`. */
function seeing(tag: string): string[] {
  const out = join(base, tag);
  const gate = join(base, `gate-${tag}`);
  return [
    'sh',
    '-c',
    `printf '%s|%s|%s|%s|%s' "\${CUDA_VISIBLE_DEVICES-unset}" "$CUDA_DEVICE_ORDER" "$RUNWARDEN_SLOT" "$RUNWARDEN_SLOT_INDEX" "$RUNWARDEN_SLOTS" > ${out}.tmp && mv ${out}.tmp ${out}; while [ ! -e ${gate} ]; do sleep 0.05; done`,
  ];
}

const seen = (tag: string) =>
  waitFor(() => existsSync(join(base, tag)) && readFileSync(join(base, tag), 'utf8'), {
    timeoutMs: 30_000,
    description: `job ${tag} to report what it sees`,
  });

describe('GPU slots', () => {
  it('give each job exactly its own GPU UUIDs; a no-GPU job sees none; a 2-GPU job waits and gets two', async () => {
    const w = openWorkspace(ws, { kick: false });
    const slots = await w.configureSlots({ gpus: true, perGpu: 2 });
    expect(slots.map((s) => [s.name, s.gpu?.uuid])).toEqual([
      ['gpu0', uuid0],
      ['gpu1', uuid1],
      ['gpu0b', uuid0],
      ['gpu1b', uuid1],
    ]);
    const a = await w.submit({ argv: seeing('a'), gpus: 1, env: { CUDA_VISIBLE_DEVICES: 'GPU-not-mine' } });
    const b = await w.submit({ argv: seeing('b'), gpus: 1 });
    const c = await w.submit({ argv: seeing('c') });
    const d = await w.submit({ argv: seeing('d'), gpus: 2 });
    expect([a.state, b.state, c.state, d.state]).toEqual(['started', 'started', 'started', 'queued']);
    // The user's CUDA_VISIBLE_DEVICES loses to the slot's: a job never sees another slot's GPU.
    expect(await seen('a')).toBe(`${uuid0}|PCI_BUS_ID|gpu0|0|gpu0`);
    expect(await seen('b')).toBe(`${uuid1}|PCI_BUS_ID|gpu1|1|gpu1`);
    expect(await seen('c')).toBe('|PCI_BUS_ID|gpu0b|2|gpu0b');
    // d needs two GPUs: only gpu1b is free (gpu0b holds c), so it waits, saying why.
    expect(w.queue().entries.map((e) => [e.runId, e.waitingFor])).toEqual([[d.id, ['2 GPUs']]]);
    writeFileSync(join(base, 'gate-a'), '');
    await waitFor(
      async () => {
        await w.dispatch();
        return existsSync(join(base, 'd'));
      },
      { timeoutMs: 30_000, description: 'd to start once a ends' },
    );
    expect(await seen('d')).toBe(`${uuid0},${uuid1}|PCI_BUS_ID|gpu0|0|gpu0,gpu1b`);
    const status = await w.status();
    expect(status.slots.map((s) => s.runId)).toEqual([d.id, b.id, c.id, d.id]);
    for (const tag of ['b', 'c', 'd']) writeFileSync(join(base, `gate-${tag}`), '');
    await waitFor(async () => (await w.status()).runs.length === 0, {
      timeoutMs: 30_000,
      description: 'every run to end',
    });
    for (const run of [a, b, c, d]) expect(w.history(run.id)?.outcome).toBe('finished');
  });

  it('refuses --gpus on a workspace without GPU slots, and more GPUs than it has (exit 2, nothing queued)', async () => {
    const w = openWorkspace(ws, { kick: false });
    const none = await w.submit({ argv: ['true'], gpus: 1 }).catch((e: unknown) => e);
    expect(none).toBeInstanceOf(RunwardenError);
    expect((none as RunwardenError).exitCode).toBe(2);
    expect((none as RunwardenError).message).toContain('no GPU slots');
    await w.configureSlots({ gpus: true });
    const many = await w.submit({ argv: ['true'], gpus: 3 }).catch((e: unknown) => e);
    expect((many as RunwardenError).exitCode).toBe(2);
    expect((many as RunwardenError).message).toContain('has 2 GPUs');
    expect(w.queue().entries).toEqual([]);
  });

  it('names nvidia-smi failing and keeps the slots as they were', async () => {
    const w = openWorkspace(ws, { kick: false });
    await w.configureSlots({ count: 2 });
    process.env.RW_FAKE_NVIDIA_SMI = 'fail';
    try {
      const failed = await w.configureSlots({ gpus: true }).catch((e: unknown) => e);
      expect((failed as RunwardenError).code).toBe('RW_GPU_QUERY_FAILED');
      expect((failed as RunwardenError).message).toContain('nvidia-smi failed');
    } finally {
      delete process.env.RW_FAKE_NVIDIA_SMI;
    }
    expect(w.slots().map((s) => s.name)).toEqual(['slot0', 'slot1']);
  });
});
