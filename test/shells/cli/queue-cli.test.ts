// Issue 12 through the CLI, real jobs: GPU slots (with test/fixtures/bin/nvidia-smi first on PATH:
// it stands in for NVIDIA's tool on this GPU-less machine and prints the real tool's CSV format,
// the recorded output of a 2 x A100 machine), the queue commands, several active runs, and bad
// input: one clear line, the documented exit code, nothing queued, started or left running.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { getHistory, type HistoryRecord } from '../../../shells/api/history.ts';
import { layoutOf, runFiles } from '../../../shells/api/run-files.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { cliIn, oneLine, useQueueWorkspaces } from './queue-helpers.ts';
import { repoRoot } from './run-cli.ts';

// Every CLI call costs a whole process (seconds on a loaded machine): generous bounds.
vi.setConfig({ testTimeout: 240_000 });
const { workspace } = useQueueWorkspaces();
const fakeGpuPath = { PATH: `${join(repoRoot, 'test/fixtures/bin')}${delimiter}${process.env.PATH ?? ''}` };
const recordedUuids = [
  'GPU-5d4c7f3e-2b1a-4c9d-8e7f-6a5b4c3d2e1f',
  'GPU-9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d',
];

interface Submitted {
  id: string;
  state: 'started' | 'queued';
  position: number | null;
  slots: string[];
}

async function submit(space: ReturnType<typeof workspace>, args: string[], env: Record<string, string> = {}) {
  const ran = await cliIn(space, ['submit', '--json', ...args], env);
  expect(ran.code, ran.stderr).toBe(0);
  return JSON.parse(ran.stdout) as Submitted;
}

/** What a job printed: its GPU variables and slots. */
const printEnv =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template
  'printf "%s|%s|%s|%s\\n" "${CUDA_VISIBLE_DEVICES-unset}" "${CUDA_DEVICE_ORDER-unset}" "$RUNWARDEN_SLOT" "$RUNWARDEN_SLOTS"';
const envJob = ['sh', '-c', printEnv];
/** The same, then it waits until both gated jobs run (so they hold their slots at the same time). */
const gatedEnvJob = (dir: string) => [
  'sh',
  '-c',
  `${printEnv}; touch "${dir}/$$"; n=0; while [ "$(ls "${dir}" | wc -l)" -lt 2 ] && [ $n -lt 1200 ]; do sleep 0.05; n=$((n+1)); done`,
];

/**
 * A run's history record once it ended. The monitor records the exit itself; the history record
 * is written by the next runwarden process that looks (a kick only runs while the queue holds
 * entries), so this asks `show --json` as a user would, until the run has ended.
 */
async function endedRecord(space: ReturnType<typeof workspace>, id: string) {
  return waitFor(
    async () => {
      const shown = await cliIn(space, ['show', '--json', id]);
      return shown.code === 0 ? (JSON.parse(shown.stdout) as HistoryRecord) : null;
    },
    { timeoutMs: 120_000, intervalMs: 250, description: `run ${id} to end` },
  );
}

describe('GPU slots (nvidia-smi fixture on PATH)', () => {
  it('gives each job exactly its own GPU by UUID, k GPUs on distinct GPUs, and no GPU to a gpus=0 job', async () => {
    const space = workspace();
    const slots = await cliIn(space, ['slots', '--gpus', '--json'], fakeGpuPath);
    expect(slots.code, slots.stderr).toBe(0);
    const specs = JSON.parse(slots.stdout) as {
      name: string;
      env: Record<string, string>;
      gpu: { uuid: string };
    }[];
    expect(
      specs.map((s) => [s.name, s.gpu.uuid, s.env.CUDA_VISIBLE_DEVICES, s.env.CUDA_DEVICE_ORDER]),
    ).toEqual([
      ['gpu0', recordedUuids[0], recordedUuids[0], 'PCI_BUS_ID'],
      ['gpu1', recordedUuids[1], recordedUuids[1], 'PCI_BUS_ID'],
    ]);
    const uuidOf = new Map(specs.map((s) => [s.name, s.gpu.uuid]));
    expect((await cliIn(space, ['queue', 'pause'])).code).toBe(0);
    // The user's CUDA_VISIBLE_DEVICES loses to the slot's: a job never sees another slot's GPU.
    const gate = join(space.ws, '..', 'gate');
    mkdirSync(gate);
    const a = await submit(space, [
      '--gpus',
      '1',
      '-e',
      'CUDA_VISIBLE_DEVICES=0,1',
      '--',
      ...gatedEnvJob(gate),
    ]);
    const b = await submit(space, ['--gpus', '1', '--', ...gatedEnvJob(gate)]);
    const both = await submit(space, ['--gpus', '2', '--', ...envJob]);
    const none = await submit(space, ['--gpus', '0', '--', ...envJob]);
    expect([a, b, both, none].map((s) => s.state)).toEqual(['queued', 'queued', 'queued', 'queued']);
    expect((await cliIn(space, ['queue', 'resume'])).code).toBe(0);
    const seen = new Map<string, string[]>();
    for (const run of [a, b, both, none]) {
      const record = await endedRecord(space, run.id);
      expect(record.outcome).toBe('finished');
      const out = readFileSync(join(space.ws, run.id, runFiles.stdout), 'utf8')
        .trim()
        .split('|');
      seen.set(run.id, out);
    }
    for (const run of [a, b]) {
      const [visible, order, slot, all] = seen.get(run.id) ?? [];
      expect(slot).toMatch(/^gpu[01]$/);
      expect(all).toBe(slot);
      expect(visible).toBe(uuidOf.get(slot ?? ''));
      expect(order).toBe('PCI_BUS_ID');
    }
    // a and b held their GPU slots at the same time (the gate): different GPUs.
    expect(seen.get(a.id)?.[0]).not.toBe(seen.get(b.id)?.[0]);
    const [visible2, order2, , slots2] = seen.get(both.id) ?? [];
    expect((visible2 ?? '').split(',').sort()).toEqual([...recordedUuids].sort());
    expect(order2).toBe('PCI_BUS_ID');
    expect((slots2 ?? '').split(',').sort()).toEqual(['gpu0', 'gpu1']);
    const [visible0] = seen.get(none.id) ?? [];
    expect(visible0).toBe(''); // set, and empty: not "unset"
  });

  it('refuses slots --gpus with one line when nvidia-smi fails, and leaves the slots as they were', async () => {
    const space = workspace();
    expect((await cliIn(space, ['slots', '--count', '3'])).code).toBe(0);
    const failed = await cliIn(space, ['slots', '--gpus'], { ...fakeGpuPath, RW_FAKE_NVIDIA_SMI: 'fail' });
    expect(failed.code).not.toBe(0);
    expect(oneLine(failed.stderr)).toMatch(/nvidia-smi/);
    const after = JSON.parse((await cliIn(space, ['slots', '--json'])).stdout) as { name: string }[];
    expect(after.map((s) => s.name)).toEqual(['slot0', 'slot1', 'slot2']);
  });
});

describe('the queue commands', () => {
  it('lists, reorders, holds, releases, removes and aborts queued runs', async () => {
    const space = workspace();
    expect((await cliIn(space, ['queue', 'pause'])).code).toBe(0);
    const first = await submit(space, ['--name', 'first', '--', 'sleep', '0.2']);
    const second = await submit(space, ['--name', 'second', '--', 'sleep', '0.2']);
    const held = await submit(space, ['--name', 'held', '--hold', '--', 'sleep', '0.2']);
    expect([first.position, second.position, held.position]).toEqual([1, 2, 3]);

    const listed = await cliIn(space, ['queue']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('paused');
    expect(listed.stdout).toMatch(new RegExp(`1\\s+${first.id}`));
    expect(listed.stdout).toContain('held');

    expect((await cliIn(space, ['queue', 'move', second.id, '--priority', '5'])).code).toBe(0);
    const moved = JSON.parse((await cliIn(space, ['queue', '--json'])).stdout) as {
      hold: { reason: string } | null;
      entries: { runId: string; position: number; priority: number; held: boolean; waitingFor: string[] }[];
    };
    expect(moved.hold?.reason).toBe('paused');
    expect(moved.entries.map((e) => [e.runId, e.position, e.priority])).toEqual([
      [second.id, 1, 5],
      [first.id, 2, 0],
      [held.id, 3, 0],
    ]);
    expect(moved.entries[2]?.held).toBe(true);
    expect(moved.entries[2]?.waitingFor.join(' ')).toMatch(/held/);

    // abort of a queued run: removed and recorded aborted, no process.
    const aborted = await cliIn(space, ['abort', first.id]);
    expect(aborted.code, aborted.stderr).toBe(0);
    const record = getHistory(layoutOf(space.ws), first.id);
    expect(record).toMatchObject({
      outcome: 'aborted',
      reason: 'aborted-in-queue',
      exitCode: null,
      signal: null,
    });
    // rm: recorded aborted, removed-from-queue.
    expect((await cliIn(space, ['queue', 'rm', second.id])).code).toBe(0);
    expect(getHistory(layoutOf(space.ws), second.id)).toMatchObject({
      outcome: 'aborted',
      reason: 'removed-from-queue',
    });

    expect((await cliIn(space, ['queue', 'release', held.id])).code).toBe(0);
    expect((await cliIn(space, ['queue', 'resume'])).code).toBe(0);
    expect((await endedRecord(space, held.id)).outcome).toBe('finished');
    const empty = JSON.parse((await cliIn(space, ['queue', '--json'])).stdout) as {
      hold: unknown;
      entries: unknown[];
    };
    expect(empty).toEqual({ hold: null, entries: [], corrupt: [] });
    const ended = JSON.parse((await cliIn(space, ['list', '--state', 'ended', '--json'])).stdout) as {
      id: string;
    }[];
    expect(ended.map((r) => r.id).sort()).toEqual([first.id, second.id, held.id].sort());
  });

  it('fails an --after-ok run whose dependency failed, naming it; runs an --after run anyway', async () => {
    const space = workspace();
    expect((await cliIn(space, ['slots', '--count', '2'])).code).toBe(0);
    // dep lives until the test lets it end (after both dependants are queued), then fails.
    const go = join(space.ws, '..', 'go');
    const dep = await submit(space, [
      '--name',
      'dep',
      '--on-failure',
      'keep',
      '--',
      'sh',
      '-c',
      `n=0; while [ ! -e '${go}' ] && [ $n -lt 1200 ]; do sleep 0.05; n=$((n+1)); done; exit 4`,
    ]);
    const ok = await submit(space, ['--name', 'needsok', '--after-ok', dep.id, '--', 'true']);
    const any = await submit(space, ['--name', 'needsend', '--after', dep.id, '--', 'true']);
    expect(ok.state).toBe('queued');
    expect(any.state).toBe('queued');
    const waiting = JSON.parse((await cliIn(space, ['list', '--state', 'queued', '--json'])).stdout) as {
      id: string;
      state: string;
      waitingFor: string[];
    }[];
    expect(waiting.map((e) => [e.id, e.state])).toEqual([
      [ok.id, 'queued'],
      [any.id, 'queued'],
    ]);
    expect(waiting.find((e) => e.id === ok.id)?.waitingFor.join(' ')).toContain(dep.id);
    writeFileSync(go, '');
    expect((await endedRecord(space, dep.id)).exitCode).toBe(4);
    const failed = await endedRecord(space, ok.id);
    expect(failed).toMatchObject({ outcome: 'failed', reason: 'dependency-failed' });
    expect(failed.dependency).toEqual({ runId: dep.id, outcome: 'failed' });
    expect((await endedRecord(space, any.id)).outcome).toBe('finished');
    const shown = await cliIn(space, ['show', ok.id]);
    expect(shown.stdout).toContain(dep.id);
  });

  it('shows every slot in status, and refuses to guess among several active runs', async () => {
    const space = workspace();
    expect((await cliIn(space, ['slots', '--count', '3'])).code).toBe(0);
    const a = await submit(space, ['--name', 'a', '--', 'sleep', '30']);
    const b = await submit(space, ['--name', 'b', '--', 'sleep', '30']);
    expect([a.state, b.state]).toEqual(['started', 'started']);
    const status = await cliIn(space, ['status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/slots:\s+2 of 3 busy/);
    expect(status.stdout).toContain(a.id);
    expect(status.stdout).toContain(b.id);
    expect(status.stdout).toMatch(/slot2\s+free/);
    const json = JSON.parse((await cliIn(space, ['status', '--json'])).stdout) as {
      slots: { name: string; runId: string | null }[];
      runs: { id: string }[];
      queue: { waiting: number };
    };
    expect(json.slots.map((s) => s.runId)).toEqual([a.id, b.id, null]);
    expect(json.runs.map((r) => r.id).sort()).toEqual([a.id, b.id].sort());
    expect(json.queue.waiting).toBe(0);
    for (const command of ['watch', 'abort', 'logs', 'show']) {
      const ran = await cliIn(space, [command]);
      expect(ran.code, `${command}: ${ran.stderr}`).toBe(2);
      expect(oneLine(ran.stderr)).toMatch(/several runs are active: .*; name one/);
      expect(ran.stderr).toContain(a.id);
      expect(ran.stderr).toContain(b.id);
    }
    const active = JSON.parse((await cliIn(space, ['list', '--state', 'active', '--json'])).stdout) as {
      id: string;
    }[];
    expect(active.map((r) => r.id).sort()).toEqual([a.id, b.id].sort());
    // Naming one aborts that one only.
    const aborted = await cliIn(space, ['abort', '--grace', '1s', b.id]);
    expect(aborted.code, aborted.stderr).toBe(0);
    expect(aborted.stdout).toContain(`run ${b.id} aborted`);
    const after = JSON.parse((await cliIn(space, ['status', '--json'])).stdout) as { runs: { id: string }[] };
    expect(after.runs.map((r) => r.id)).toEqual([a.id]);
  });
});

describe('bad input', () => {
  it('refuses --after of an unknown run with exit 2, and queues nothing', async () => {
    const space = workspace();
    const ran = await cliIn(space, ['submit', '--after', 'no-such-run', '--', 'true']);
    expect(ran.code).toBe(2);
    expect(oneLine(ran.stderr)).toContain('no-such-run');
    expect(JSON.parse((await cliIn(space, ['queue', '--json'])).stdout)).toEqual({
      hold: null,
      entries: [],
      corrupt: [],
    });
  });

  it('refuses --gpus on a workspace without GPU slots with exit 2, and starts or queues nothing', async () => {
    const space = workspace();
    for (const command of ['submit', 'start']) {
      const ran = await cliIn(space, [command, '--gpus', '1', '--', 'sleep', '5']);
      expect(ran.code, `${command}: ${ran.stderr}`).toBe(2);
      expect(oneLine(ran.stderr)).toMatch(/GPU/);
    }
    const status = JSON.parse((await cliIn(space, ['status', '--json'])).stdout) as {
      state: string;
      queue: { waiting: number };
    };
    expect(status.state).toBe('idle');
    expect(status.queue.waiting).toBe(0);
  });

  it('refuses edits of a started run (exit 3) and of an unknown one (exit 4)', async () => {
    const space = workspace();
    const started = await submit(space, ['--', 'sleep', '30']);
    expect(started.state).toBe('started');
    for (const args of [
      ['queue', 'move', started.id, '--priority', '3'],
      ['queue', 'hold', started.id],
      ['queue', 'rm', started.id],
    ]) {
      const ran = await cliIn(space, args);
      expect(ran.code, `${args.join(' ')}: ${ran.stderr}`).toBe(3);
      expect(oneLine(ran.stderr)).toContain(started.id);
    }
    const unknown = await cliIn(space, ['queue', 'rm', 'no-such-run']);
    expect(unknown.code).toBe(4);
    expect(oneLine(unknown.stderr)).toContain('no-such-run');
    // The started run was not touched.
    expect(getHistory(layoutOf(space.ws), started.id)).toBeNull();
  });

  it('refuses bad values with exit 2 and one line naming the value', async () => {
    const space = workspace();
    for (const args of [
      ['submit', '--priority', 'high', '--', 'true'],
      ['submit', '--priority', '5000', '--', 'true'],
      ['submit', '--gpus', '-1', '--', 'true'],
      ['slots', '--count', '0'],
      ['slots', '--gpus', '--count', '2'],
      ['slots', '--per-gpu', '2'],
      ['list', '--state', 'sleeping'],
      ['queue', 'move', 'x'],
    ]) {
      const ran = await cliIn(space, args);
      expect(ran.code, `${args.join(' ')}: ${ran.stderr}`).toBe(2);
      oneLine(ran.stderr);
    }
    expect(existsSync(join(space.ws, 'queue'))).toBe(false);
  });

  it('start --gpus N exits 3 when the GPUs are not free now', async () => {
    const space = workspace();
    expect((await cliIn(space, ['slots', '--gpus'], fakeGpuPath)).code).toBe(0);
    const first = await cliIn(space, ['start', '--json', '--gpus', '2', '--', 'sleep', '30']);
    expect(first.code, first.stderr).toBe(0);
    const second = await cliIn(space, ['start', '--gpus', '1', '--', 'sleep', '30']);
    expect(second.code).toBe(3);
    oneLine(second.stderr);
  });
});
