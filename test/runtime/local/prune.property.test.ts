// Issue 14: prune's guarantees as a fast-check property over real workspaces on disk. For any set
// of ended runs (outcomes, ages, sizes, a checkpoint inside some of them, some resumed by a later
// run), a live run (the lock names it, a history record for it is not even there) and any policy
// (outcomes, age, keep-last, budget): the dry run lists exactly what the real run then deletes; a
// live run's directory and the newest checkpoint of a resumable run are never deleted; history
// records all stay; a budget stops deleting once met, oldest ended first.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Outcome } from '../../../machine/types.ts';
import { type HistoryRecord, summaryOf } from '../../../runtime/local/history-store.ts';
import { layoutOf } from '../../../runtime/local/layout.ts';
import { pruneRuns } from '../../../runtime/local/prune.ts';
import { fixtureEntry } from '../../helpers/history-fixture.ts';
import { fcParams, fcTimeoutMs } from '../../model/fc-config.ts';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

const outcomes: Outcome[] = ['finished', 'failed', 'aborted', 'orphaned', 'suspended'];
const runSpec = fc.record({
  outcome: fc.constantFrom(...outcomes),
  kb: fc.integer({ min: 1, max: 64 }),
  checkpointInside: fc.boolean(),
  resumedLater: fc.boolean(),
});

interface World {
  ws: string;
  ids: string[];
  protectedIds: Set<string>;
  liveId: string;
}

function build(
  specs: { outcome: Outcome; kb: number; checkpointInside: boolean; resumedLater: boolean }[],
): World {
  const root = mkdtempSync(join(tmpdir(), 'rw-prune-prop-'));
  roots.push(root);
  const ws = join(root, 'runs');
  const layout = layoutOf(ws);
  mkdirSync(layout.historyDir, { recursive: true });
  const lines: string[] = [];
  const ids: string[] = [];
  const protectedIds = new Set<string>();
  specs.forEach((spec, i) => {
    const base = fixtureEntry(i);
    const parentId = i > 0 && specs[i - 1]?.resumedLater ? ids[i - 1] : undefined;
    const entry = {
      ...base,
      outcome: spec.outcome,
      config: {
        ...base.config,
        ...(parentId === undefined
          ? {}
          : { lineage: { parentId, lineageId: ids[0] ?? base.runId, restartCount: 1 } }),
      },
    };
    const dir = layout.runDir(entry.runId);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'stdout.log'), 'x'.repeat(spec.kb * 1024));
    const ckpt = join(dir, 'ck', 'last.pt');
    if (spec.checkpointInside) {
      mkdirSync(join(dir, 'ck'));
      writeFileSync(ckpt, 'w');
    }
    const record: HistoryRecord = {
      ...entry,
      stderrTail: [],
      progress: null,
      containment: null,
      ...(spec.checkpointInside ? { checkpoint: { path: ckpt, step: 1, request: null } } : {}),
    };
    writeFileSync(layout.historyRecord(entry.runId), `${JSON.stringify(record)}\n`);
    lines.push(JSON.stringify(summaryOf(entry)));
    ids.push(entry.runId);
  });
  // A run is protected when resumable, its checkpoint inside its dir, and no later run resumed it.
  specs.forEach((spec, i) => {
    const resumed = spec.resumedLater && i + 1 < specs.length;
    if (spec.outcome !== 'finished' && spec.checkpointInside && !resumed) protectedIds.add(ids[i] ?? '');
  });
  writeFileSync(layout.historyIndex, lines.length === 0 ? '' : `${lines.join('\n')}\n`);
  // The live run: its directory and a lock naming it (no history record yet).
  const liveId = 'live-run-0001';
  mkdirSync(layout.runDir(liveId), { recursive: true });
  writeFileSync(join(layout.runDir(liveId), 'stdout.log'), 'y'.repeat(4096));
  const owner = { kind: 'local', pid: process.pid, startTime: 1, bootId: 'b' };
  const lock = {
    runId: liveId,
    nonce: 'n',
    createdAt: 0,
    owner,
    job: null,
    startedAt: null,
    config: { ...fixtureEntry(0).config, runId: liveId },
  };
  writeFileSync(layout.lock, `${JSON.stringify(lock)}\n`);
  return { ws, ids, protectedIds, liveId };
}

describe('prune (property, real directories)', () => {
  it(
    'dry run equals real run; never a live run or a resumable run newest checkpoint; records stay',
    () => {
      fc.assert(
        fc.property(
          fc.array(runSpec, { minLength: 0, maxLength: 12 }),
          fc.record({
            outcomes: fc.subarray(outcomes),
            olderThanMs: fc.option(fc.integer({ min: 0, max: 8_000 }), { nil: undefined }),
            keepLast: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
            budgetKb: fc.option(fc.integer({ min: 0, max: 400 }), { nil: undefined }),
          }),
          (specs, p) => {
            const world = build(specs);
            const layout = layoutOf(world.ws);
            const now = 1_700_000_000_500 + specs.length * 1000;
            const policy = {
              outcomes: p.outcomes,
              ...(p.olderThanMs === undefined ? {} : { olderThanMs: p.olderThanMs }),
              ...(p.keepLast === undefined ? {} : { keepLast: p.keepLast }),
              budgetBytes: p.budgetKb === undefined ? null : p.budgetKb * 1024,
              now,
            };
            const dry = pruneRuns(layout, { ...policy, dryRun: true });
            for (const id of [...world.ids, world.liveId]) expect(existsSync(layout.runDir(id))).toBe(true);
            const real = pruneRuns(layout, policy);
            expect(real.deleted.map((d) => d.runId)).toEqual(dry.deleted.map((d) => d.runId));
            expect(real.freedBytes).toBe(dry.freedBytes);
            expect(real.errors).toEqual([]);
            const deleted = new Set(real.deleted.map((d) => d.runId));
            expect(deleted.has(world.liveId)).toBe(false);
            expect(existsSync(layout.runDir(world.liveId))).toBe(true);
            for (const id of world.protectedIds)
              expect({ id, deleted: deleted.has(id) }).toEqual({ id, deleted: false });
            for (const id of world.ids) {
              expect(existsSync(layout.historyRecord(id))).toBe(true);
              expect(existsSync(layout.runDir(id))).toBe(!deleted.has(id));
            }
            // Oldest ended first: every deleted run ended before every candidate the budget kept.
            const keptByBudget = real.kept.filter((k) => k.keptBecause === 'the disk budget is met');
            for (const d of real.deleted)
              for (const k of keptByBudget) expect(d.endedAt).toBeLessThanOrEqual(k.endedAt);
            if (policy.budgetBytes !== null && keptByBudget.length > 0)
              expect(real.usedBytesAfter).toBeLessThanOrEqual(policy.budgetBytes);
            // Filters hold for everything deleted.
            for (const d of real.deleted) {
              if (p.outcomes.length > 0) expect(p.outcomes).toContain(d.outcome);
              if (p.olderThanMs !== undefined) expect(d.endedAt).toBeLessThanOrEqual(now - p.olderThanMs);
            }
          },
        ),
        fcParams(120),
      );
    },
    fcTimeoutMs(120, 50),
  );
});
