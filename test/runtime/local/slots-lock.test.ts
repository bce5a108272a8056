// Slots on disk (issue 12): a run on k slots takes k locks all or nothing; a today-layout workspace
// with an active run moves to slots without loss; a dispatcher that dies mid-start (after taking
// the lock, before the job is let go) loses nothing: the lifecycle requeues it and it starts once.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { layoutOf } from '../../../runtime/local/layout.ts';
import { readLock } from '../../../runtime/local/lock-file.ts';
import { listQueue } from '../../../runtime/local/queue-store.ts';
import { slotLayout, writeSlots } from '../../../runtime/local/workspace-config.ts';
import { openWorkspace, RunwardenError } from '../../../shells/api/index.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { endAll, tempBase } from './queue-helpers.ts';

const fixtureBin = fileURLToPath(new URL('../../fixtures/bin', import.meta.url));
const bases: string[] = [];
afterEach(async () => {
  for (const base of bases.splice(0)) expect(await endAll(base)).toEqual([]);
});

function fresh(): { base: string; ws: string } {
  const t = tempBase();
  bases.push(t.base);
  return t;
}

const gpu = (index: number) => ({ index, uuid: `GPU-${index}`, busId: `00000000:0${index}:00.0` });
const gpuSlot = (name: string, index: number, g: number) => ({
  name,
  index,
  env: { CUDA_VISIBLE_DEVICES: `GPU-${g}`, CUDA_DEVICE_ORDER: 'PCI_BUS_ID' },
  gpu: gpu(g),
});

/** Open the gate the test's jobs wait on (they end once it exists). */
async function released(path: string): Promise<void> {
  writeFileSync(path, '');
}

describe('k-slot locks', () => {
  it('are taken all or nothing: a 2-GPU start with one GPU slot busy takes no lock and leaves no run directory', async () => {
    const { base, ws } = fresh();
    mkdirSync(ws, { recursive: true });
    const slots = [gpuSlot('gpu0', 0, 0), gpuSlot('gpu1', 1, 1), gpuSlot('gpu2', 2, 2)];
    expect(writeSlots(layoutOf(ws), slots).ok).toBe(true);
    const w = openWorkspace(ws, { kick: false });
    const gate = join(base, 'gate');
    const holder = await w.start({
      argv: ['sh', '-c', `while [ ! -e ${gate} ]; do sleep 0.05; done`],
      gpus: 1,
    });
    // gpu0 is taken: a 2-GPU run gets gpu1 + gpu2; a 3-GPU run fits nowhere and takes nothing.
    const refused = await w.start({ argv: ['true'], gpus: 3 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RunwardenError);
    expect((refused as RunwardenError).code).toBe('RW_CONFLICT');
    for (const s of slots.slice(1)) expect(existsSync(slotLayout(ws, s).lock)).toBe(false);
    const runDirs = readdirSync(ws).filter((n) => n.startsWith('true-'));
    expect(runDirs).toEqual([]);

    const pair = await w.start({
      argv: ['sh', '-c', `while [ ! -e ${gate} ]; do sleep 0.05; done`],
      gpus: 2,
    });
    const locks = slots.map((s) => readLock(slotLayout(ws, s).lock));
    const ids = locks.map((l) => (l.ok && l.value.state === 'ok' ? l.value.value.runId : null));
    expect(ids).toEqual([holder.id, pair.id, pair.id]);
    const nonces = locks.slice(1).map((l) => (l.ok && l.value.state === 'ok' ? l.value.value.nonce : null));
    expect(nonces[0]).toBe(nonces[1]);
    const status = await w.status();
    expect(status.runs.map((r) => r.id).sort()).toEqual([holder.id, pair.id].sort());
    expect(status.slots.map((s) => s.runId)).toEqual([holder.id, pair.id, pair.id]);

    await released(gate);
    await waitFor(
      async () => {
        const s = await w.status();
        return s.slots.every((slot) => slot.runId === null) && s;
      },
      { timeoutMs: 30_000, description: 'every slot to be free' },
    );
    for (const s of slots)
      expect(readdirSync(slotLayout(ws, s).lockDir).filter((n) => n.startsWith('active.lock'))).toEqual([]);
    expect(w.history(pair.id)?.outcome).toBe('finished');
    expect(w.history(holder.id)?.outcome).toBe('finished');
  });

  it('refused half-way (the second slot taken after the schedule chose it) undoes the first lock: no partial hold', async () => {
    const { base, ws } = fresh();
    mkdirSync(ws, { recursive: true });
    const slots = [gpuSlot('gpu0', 0, 0), gpuSlot('gpu1', 1, 1)];
    expect(writeSlots(layoutOf(ws), slots).ok).toBe(true);
    const w = openWorkspace(ws, { kick: false });
    const gate0 = join(base, 'gate0');
    const gate1 = join(base, 'gate1');
    const wait = (gate: string) => ['sh', '-c', `while [ ! -e ${gate} ]; do sleep 0.05; done`];
    await w.start({ argv: wait(gate0), gpus: 1 });
    const second = await w.start({ argv: wait(gate1), gpus: 1 });
    await released(gate0);
    await waitFor(async () => (await w.status()).slots[0]?.runId === null, {
      timeoutMs: 30_000,
      description: 'gpu0 to be free',
    });
    // A dispatcher that decided [gpu0, gpu1] on a stale look: gpu0's lock is made, gpu1's refused.
    const config = w.configOf({ argv: ['true'], name: 'pair' });
    const entry = {
      runId: config.runId,
      priority: 0,
      submittedAt: Date.now(),
      held: false,
      needs: { gpus: 2, after: [], afterOk: [] },
      config,
    };
    const answer = await w.startQueued(
      { runId: config.runId, name: `${config.runId}.json.claimed-x`, entry },
      ['gpu0', 'gpu1'],
    );
    expect(answer).toEqual({ ok: true, value: 'conflict' });
    expect(existsSync(slotLayout(ws, slots[0] as (typeof slots)[0]).lock)).toBe(false);
    expect(existsSync(join(ws, config.runId))).toBe(false);
    expect(w.history(config.runId)).toBe(null);
    const still = readLock(slotLayout(ws, slots[1] as (typeof slots)[1]).lock);
    expect(still.ok && still.value.state === 'ok' && still.value.value.runId).toBe(second.id);
    await released(gate1);
    await waitFor(async () => (await w.status()).runs.length === 0, {
      timeoutMs: 30_000,
      description: 'the run to end',
    });
  });
});

describe('migrating a today-layout workspace to slots', () => {
  it('keeps its active run on slot 0 through `configureSlots({ count: 3 })`, then runs beside it', async () => {
    const { base, ws } = fresh();
    const w = openWorkspace(ws, { kick: false });
    const gate = join(base, 'gate');
    const old = await w.start({ argv: ['sh', '-c', `while [ ! -e ${gate} ]; do sleep 0.05; done`] });
    expect(existsSync(layoutOf(ws).lock)).toBe(true);
    expect(existsSync(layoutOf(ws).workspaceConfig)).toBe(false);
    // A change to the slot the run holds is refused; adding slots beside it is not.
    // The GPUs come from test/fixtures/bin/nvidia-smi (no GPU here), first on PATH: it prints the
    // real tool's CSV. One slot per GPU would change slot 0, which the run holds: refused.
    const path = process.env.PATH;
    process.env.PATH = `${fixtureBin}:${path}`;
    const gpus = await w.configureSlots({ gpus: true }).catch((e: unknown) => e);
    process.env.PATH = path;
    expect(gpus).toBeInstanceOf(RunwardenError);
    expect((gpus as RunwardenError).code).toBe('RW_CONFLICT');
    expect((gpus as RunwardenError).message).toContain(`slot slot0 holds run ${old.id}`);
    const slots = await w.configureSlots({ count: 3 });
    expect(slots.map((s) => s.name)).toEqual(['slot0', 'slot1', 'slot2']);
    const beside = await w.start({
      argv: [
        'sh',
        '-c',
        `echo "$RUNWARDEN_SLOT" > ${join(base, 'slot')}; while [ ! -e ${gate} ]; do sleep 0.05; done`,
      ],
    });
    const status = await w.status();
    expect(status.slots.map((s) => s.runId)).toEqual([old.id, beside.id, null]);
    expect(status.runs.map((r) => r.id)).toEqual([old.id, beside.id]);
    await released(gate);
    await waitFor(async () => (await w.status()).runs.length === 0, {
      timeoutMs: 30_000,
      description: 'both runs to end',
    });
    expect(w.history(old.id)?.outcome).toBe('finished');
    expect(w.history(beside.id)?.outcome).toBe('finished');
  });
});

describe.each([
  ['after-lock', 'after taking the lock'],
  ['before-go', 'after recording the job, before letting it go'],
])('a dispatcher that dies mid-start (%s)', (failpoint, when) => {
  it(`(SIGKILLed ${when}) loses nothing: the next dispatch requeues the run and starts it once`, async () => {
    const { base, ws } = fresh();
    mkdirSync(ws, { recursive: true });
    expect(writeSlots(layoutOf(ws), [{ name: 'slot0', index: 0, env: {}, gpu: null }]).ok).toBe(true);
    const marker = join(base, 'ran');
    const w = openWorkspace(ws, { kick: false });
    const held = await w.submit({ argv: ['sh', '-c', `echo x >> ${marker}`], hold: true });
    expect(held.state).toBe('queued');
    // Release it by hand (no dispatch), then let a dispatcher die right after the lock.
    const { editEntry } = await import('../../../runtime/local/queue-store.ts');
    const { selfIdentity } = await import('../../../runtime/local/owner.ts');
    expect(editEntry(layoutOf(ws), held.id, selfIdentity(), (e) => ({ ...e, held: false })).ok).toBe(true);
    const env = { ...process.env, RW_FAILPOINT: failpoint };
    const { spawn } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const script = fileURLToPath(new URL('./queue-child.ts', import.meta.url));
    const killed = spawn(process.execPath, [script, 'dispatch', ws], { env, stdio: 'ignore' });
    const signal = await new Promise<string | null>((resolve) => killed.on('exit', (_c, s) => resolve(s)));
    expect(signal).toBe('SIGKILL');
    // The lock (starter gone, fromQueue; job null or never let go) and the claim (claimer gone) are left.
    const lock = readLock(layoutOf(ws).lock);
    expect(lock.ok && lock.value.state === 'ok' && lock.value.value.config.fromQueue).toBe(true);
    expect(lock.ok && lock.value.state === 'ok' && lock.value.value.job === null).toBe(
      failpoint === 'after-lock',
    );
    const left = listQueue(layoutOf(ws));
    expect(
      left.claimed.map((c) => c.runId),
      JSON.stringify({ left, lock, record: w.history(held.id), files: readdirSync(ws) }),
    ).toEqual([held.id]);

    // A job never let go ends by itself (its go channel closed): wait for its monitor's record.
    if (failpoint === 'before-go')
      await waitFor(() => existsSync(join(ws, held.id, 'exit.json')), {
        timeoutMs: 20_000,
        description: 'the notStarted exit',
      });
    // A discard that failed half-way would leave the first attempt's exit record: put one there.
    if (failpoint === 'after-lock')
      writeFileSync(
        join(ws, held.id, 'exit.json'),
        '{"code":null,"signal":null,"endedAt":1,"notStarted":true}\n',
      );
    // The next dispatches (bounded) put it back and start it: once, whatever the timing.
    const reports: unknown[] = [];
    await waitFor(
      async () => {
        const report = await w.dispatch();
        reports.push(report);
        return report.started.includes(held.id) || w.history(held.id) !== null;
      },
      { timeoutMs: 60_000, intervalMs: 100, description: 'a dispatch to start the requeued run' },
    );
    expect(
      reports.flatMap((r) => (r as { started: string[] }).started),
      JSON.stringify({ reports, record: w.history(held.id) }),
    ).toEqual([held.id]);
    const record = await waitFor(
      async () => {
        await w.status();
        return w.history(held.id);
      },
      { timeoutMs: 30_000, description: 'the requeued run to end' },
    );
    expect(record.outcome).toBe('finished');
    await waitFor(() => existsSync(marker), { timeoutMs: 5_000, description: 'the marker' });
    expect(readFileSync(marker, 'utf8')).toBe('x\n');
    expect(listQueue(layoutOf(ws)).claimed).toEqual([]);
    expect(listQueue(layoutOf(ws)).entries).toEqual([]);
  });
});
