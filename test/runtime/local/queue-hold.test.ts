// A held queue starts nothing (issue 12): after a reboot (the boot id the queue last dispatched
// under differs, and entries are older than this boot) it holds and says so until resumed; a
// user's pause likewise. Real processes; the reboot is the queue's recorded boot id being another.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { QueueEntry } from '../../../machine/queue-types.ts';
import { layoutOf } from '../../../runtime/local/layout.ts';
import { listQueue, publishEntry } from '../../../runtime/local/queue-store.ts';
import { openWorkspace } from '../../../shells/api/index.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { endAll, tempBase } from './queue-helpers.ts';

const bases: string[] = [];
afterEach(async () => {
  for (const base of bases.splice(0)) expect(await endAll(base)).toEqual([]);
});

describe('a held queue', () => {
  it('after a reboot holds, starts nothing and says so, until queue resume', async () => {
    const { base, ws } = tempBase();
    bases.push(base);
    const w = openWorkspace(ws, { kick: false });
    const marker = join(base, 'ran');
    const config = w.configOf({ argv: ['sh', '-c', `echo x > ${marker}`], name: 'before-reboot' });
    // An entry submitted before this boot, under a queue that last dispatched under another boot.
    const entry: QueueEntry = {
      runId: config.runId,
      priority: 0,
      submittedAt: 1_000,
      held: false,
      needs: { gpus: 0, after: [], afterOk: [] },
      config,
    };
    mkdirSync(layoutOf(ws).queueDir, { recursive: true });
    writeFileSync(join(layoutOf(ws).queueDir, 'boot'), 'a-boot-before-this-one\n');
    expect(publishEntry(layoutOf(ws), entry).ok).toBe(true);

    const report = await w.dispatch();
    expect(report.started).toEqual([]);
    expect(report.heldForReboot).toBe(true);
    const status = await w.status();
    expect(status.queue).toMatchObject({ waiting: 1, hold: { reason: 'reboot' } });
    expect(w.queue().entries[0]?.waitingFor).toContain('the queue is held after a reboot');
    // A new submission waits too (the hold is the queue's, not the entry's).
    const later = await w.submit({ argv: ['true'] });
    expect(later.state).toBe('queued');
    expect(existsSync(marker)).toBe(false);

    // The one slot takes the older entry first (the later may follow in the same dispatch once it ended).
    const resumed = await w.queueResume();
    expect(resumed.started[0]).toBe(entry.runId);
    await waitFor(async () => (await w.status()).runs.length === 0 && w.queue().entries.length === 0, {
      timeoutMs: 30_000,
      description: 'both runs to start and end',
    });
    expect(existsSync(marker)).toBe(true);
    expect(w.history(entry.runId)?.outcome).toBe('finished');
    expect(w.history(later.id)?.outcome).toBe('finished');
    expect(listQueue(layoutOf(ws)).hold).toBe(null);
  });

  it('paused by the user starts nothing, even a submit that fits, until resumed', async () => {
    const { base, ws } = tempBase();
    bases.push(base);
    const w = openWorkspace(ws, { kick: false });
    expect(w.queuePause().reason).toBe('paused');
    const run = await w.submit({ argv: ['true'] });
    expect(run.state).toBe('queued');
    expect(w.queue().entries[0]?.waitingFor).toEqual(['the queue is paused', 'a free slot']);
    expect((await w.dispatch()).started).toEqual([]);
    expect((await w.queueResume()).started).toEqual([run.id]);
    await waitFor(async () => (await w.status()).runs.length === 0 && w.history(run.id), {
      timeoutMs: 30_000,
      description: 'the run to end',
    });
  });

  it('ends a run whose --after-ok dependency failed, recorded failed (dependency-failed) without a process', async () => {
    const { base, ws } = tempBase();
    bases.push(base);
    const w = openWorkspace(ws, { kick: false });
    const failing = await w.start({ argv: ['sh', '-c', 'exit 3'] });
    await waitFor(async () => (await w.status()).runs.length === 0 && w.history(failing.id), {
      timeoutMs: 30_000,
      description: 'the dependency to fail',
    });
    const marker = join(base, 'ran');
    const dependent = await w.submit({ argv: ['sh', '-c', `echo x > ${marker}`], afterOk: [failing.id] });
    expect(dependent.state).toBe('ended');
    const record = w.history(dependent.id);
    expect(record).toMatchObject({
      outcome: 'failed',
      reason: 'dependency-failed',
      dependency: { runId: failing.id, outcome: 'failed' },
      startedAt: null,
    });
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(join(ws, dependent.id))).toBe(false);
  });
});

describe('ending a waiting run without a process', () => {
  it('queue rm and abort of a queued run record it aborted (removed-from-queue, aborted-in-queue); abort without a run is ambiguous with two active', async () => {
    const { base, ws } = tempBase();
    bases.push(base);
    const w = openWorkspace(ws, { kick: false });
    await w.configureSlots({ count: 2 });
    const gate = join(base, 'gate');
    const wait = ['sh', '-c', `while [ ! -e ${gate} ]; do sleep 0.05; done`];
    const one = await w.submit({ argv: wait });
    const two = await w.submit({ argv: wait });
    const removed = await w.submit({ argv: ['true'] });
    const aborted = await w.submit({ argv: ['true'] });
    expect([one.state, two.state, removed.state, aborted.state]).toEqual([
      'started',
      'started',
      'queued',
      'queued',
    ]);
    expect(w.queueRemove(removed.id)).toMatchObject({
      outcome: 'aborted',
      reason: 'removed-from-queue',
      startedAt: null,
    });
    expect(await w.abort({ runId: aborted.id })).toMatchObject({
      outcome: 'aborted',
      reason: 'aborted-in-queue',
    });
    expect(w.queue().entries).toEqual([]);
    const ambiguous = await w.abort({ wait: false }).catch((e: unknown) => e);
    expect(ambiguous).toMatchObject({ code: 'RW_AMBIGUOUS', exitCode: 2 });
    expect((ambiguous as Error).message).toContain(one.id);
    // Removing it again is a conflict with its state (it ended), not a missing run.
    expect(() => w.queueRemove(removed.id)).toThrow(expect.objectContaining({ code: 'RW_CONFLICT' }));
    expect(await w.abort({ runId: two.id, graceMs: 100 })).toMatchObject({ outcome: 'aborted' });
    writeFileSync(gate, '');
    await waitFor(async () => (await w.status()).runs.length === 0, {
      timeoutMs: 30_000,
      description: 'the first run to end',
    });
    expect(w.history(one.id)?.outcome).toBe('finished');
  });
});
