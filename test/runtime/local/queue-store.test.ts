// The durable queue with real processes (issue 12): one of several claimers wins an entry; the
// entry of a claimer that was SIGKILLed is restored by the next dispatch and starts exactly once;
// a live claimer's entry is left alone; an edit never brings back a claimed entry.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { QueueEntry } from '../../../machine/queue-types.ts';
import { layoutOf } from '../../../runtime/local/layout.ts';
import { selfIdentity } from '../../../runtime/local/owner.ts';
import {
  claimEntry,
  editEntry,
  listQueue,
  publishEntry,
  restoreEntry,
} from '../../../runtime/local/queue-store.ts';
import { openWorkspace } from '../../../shells/api/index.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { child, childResult, endAll, tempBase } from './queue-helpers.ts';

const bases: string[] = [];
afterEach(async () => {
  for (const base of bases.splice(0)) expect(await endAll(base)).toEqual([]);
});

function fresh(): { base: string; ws: string } {
  const t = tempBase();
  bases.push(t.base);
  return t;
}

/** A queue entry for `argv` built through the library (the config a submit would make). */
function entryFor(ws: string, argv: string[], runName: string): QueueEntry {
  const config = openWorkspace(ws).configOf({ argv, name: runName });
  return {
    runId: config.runId,
    priority: 0,
    submittedAt: Date.now(),
    held: false,
    needs: { gpus: 0, after: [], afterOk: [] },
    config,
  };
}

describe('the queue store', () => {
  it('lets exactly one of 8 concurrent claimer processes take an entry', async () => {
    const { ws } = fresh();
    const layout = layoutOf(ws);
    const entry = entryFor(ws, ['true'], 'race');
    expect(publishEntry(layout, entry).ok).toBe(true);
    const outputs = await Promise.all(
      Array.from({ length: 8 }, () => childResult(['claim', ws, entry.runId])),
    );
    const won = outputs.filter((o) => o.startsWith('won '));
    expect(won).toHaveLength(1);
    expect(outputs.filter((o) => o === 'gone\n')).toHaveLength(7);
    const listing = listQueue(layout);
    expect(listing.entries).toEqual([]);
    expect(listing.claimed.map((c) => c.runId)).toEqual([entry.runId]);
    expect(`won ${listing.claimed[0]?.name}\n`).toBe(won[0]);
  });

  it('restores the entry of a SIGKILLed claimer on the next dispatch, which starts it exactly once', async () => {
    const { base, ws } = fresh();
    const layout = layoutOf(ws);
    const marker = join(base, 'ran');
    const entry = entryFor(ws, ['sh', '-c', `echo x >> ${marker}`], 'restored');
    expect(publishEntry(layout, entry).ok).toBe(true);
    const claimer = child(['claim', ws, entry.runId, 'hold']);
    await waitFor(() => claimer.output().startsWith('won '), { timeoutMs: 20_000, description: 'the claim' });

    // While the claimer lives its entry is its own: a dispatch leaves it where it is.
    const leftAlone = JSON.parse(await childResult(['dispatch', ws]));
    expect(leftAlone.started).toEqual([]);
    expect(listQueue(layout).claimed).toHaveLength(1);

    claimer.process.kill('SIGKILL');
    await claimer.exited;
    const report = JSON.parse(await childResult(['dispatch', ws]));
    expect(report.restored).toEqual([entry.runId]);
    expect(report.started).toEqual([entry.runId]);
    const record = await waitFor(
      async () => {
        const r = openWorkspace(ws, { kick: false }).history(entry.runId);
        if (r === null) await openWorkspace(ws, { kick: false }).status();
        return r;
      },
      { timeoutMs: 20_000, description: 'its history record' },
    );
    expect(record.outcome).toBe('finished');
    expect(readdirSync(layout.queueDir).filter((n) => n.startsWith(entry.runId))).toEqual([]);
    await waitFor(() => existsSync(marker), { timeoutMs: 5_000, description: 'the job marker' });
    // Once more: a later dispatch starts nothing again.
    const again = JSON.parse(await childResult(['dispatch', ws]));
    expect(again.started).toEqual([]);
  });

  it('edits by claim and republish: an edit of a claimed entry finds it gone and changes nothing', () => {
    const { ws } = fresh();
    const layout = layoutOf(ws);
    const entry = entryFor(ws, ['true'], 'edit');
    expect(publishEntry(layout, entry).ok).toBe(true);
    const moved = editEntry(layout, entry.runId, selfIdentity(), (e) => ({ ...e, priority: 5 }));
    expect(moved.ok && moved.value !== 'gone' && moved.value.priority).toBe(5);
    expect(listQueue(layout).entries.map((e) => e.priority)).toEqual([5]);
    expect(listQueue(layout).claimed).toEqual([]);

    const claimed = claimEntry(layout, entry.runId, selfIdentity());
    if (!claimed.ok || claimed.value === 'gone') throw new Error('expected the claim');
    const edited = editEntry(layout, entry.runId, selfIdentity(), (e) => ({ ...e, priority: 9 }));
    expect(edited).toEqual({ ok: true, value: 'gone' });
    expect(listQueue(layout).entries).toEqual([]);
    // An edit that died after publishing leaves entry and claim: restoring keeps the published one.
    expect(publishEntry(layout, { ...claimed.value.entry, priority: 7 }).ok).toBe(true);
    expect(restoreEntry(layout, claimed.value.name).ok).toBe(true);
    const listing = listQueue(layout);
    expect(listing.entries.map((e) => e.priority)).toEqual([7]);
    expect(listing.claimed).toEqual([]);
  });

  it('refuses a second entry for the same run id (RW_CONFLICT), keeping the first', () => {
    const { ws } = fresh();
    const layout = layoutOf(ws);
    const entry = entryFor(ws, ['true'], 'dup');
    expect(publishEntry(layout, entry).ok).toBe(true);
    const again = publishEntry(layout, { ...entry, priority: 3 });
    expect(again.ok === false && again.error.code).toBe('RW_CONFLICT');
    expect(listQueue(layout).entries.map((e) => e.priority)).toEqual([0]);
  });
});
