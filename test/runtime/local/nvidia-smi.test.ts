// queryNvidiaSmi against test/fixtures/bin/nvidia-smi, a stand-in for NVIDIA's tool (no GPU on
// this machine) that prints the real tool's CSV format: rows, a missing tool, a failing driver.
import { delimiter, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { queryNvidiaSmi } from '../../../runtime/local/nvidia-smi.ts';

const fixtureBin = resolve(import.meta.dirname, '../../fixtures/bin');
const saved = { path: process.env.PATH, mode: process.env.RW_FAKE_NVIDIA_SMI };

afterEach(() => {
  process.env.PATH = saved.path;
  if (saved.mode === undefined) delete process.env.RW_FAKE_NVIDIA_SMI;
  else process.env.RW_FAKE_NVIDIA_SMI = saved.mode;
});

describe('queryNvidiaSmi', () => {
  it('splits the CSV rows of the GPUs the tool reports', async () => {
    process.env.PATH = `${fixtureBin}${delimiter}${saved.path}`;
    const answer = await queryNvidiaSmi('gpu', ['index', 'uuid', 'pci.bus_id']);
    expect(answer).toEqual({
      ok: true,
      rows: [
        ['0', 'GPU-5d4c7f3e-2b1a-4c9d-8e7f-6a5b4c3d2e1f', '00000000:07:00.0'],
        ['1', 'GPU-9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d', '00000000:0F:00.0'],
      ],
    });
  });

  it('says the tool is missing when it is not on PATH', async () => {
    process.env.PATH = '/nonexistent';
    expect(await queryNvidiaSmi('gpu', ['uuid'])).toEqual({
      ok: false,
      reason: 'nvidia-smi was not found on PATH',
    });
  });

  it('says the tool failed when the driver does not answer', async () => {
    process.env.PATH = `${fixtureBin}${delimiter}${saved.path}`;
    process.env.RW_FAKE_NVIDIA_SMI = 'fail';
    const answer = await queryNvidiaSmi('gpu', ['uuid']);
    expect(answer.ok).toBe(false);
    expect(answer.ok ? '' : answer.reason).toMatch(/^nvidia-smi failed: /);
  });

  it('gives up on a hung tool after its bound', async () => {
    process.env.PATH = `${fixtureBin}${delimiter}${saved.path}`;
    process.env.RW_FAKE_NVIDIA_SMI = 'hang';
    expect(await queryNvidiaSmi('gpu', ['uuid'], 300)).toEqual({
      ok: false,
      reason: 'nvidia-smi did not answer within 300 ms',
    });
  });
});
