// Test support: the invariants every fault test ends with, checked on disk and through the CLI:
// each run recorded exactly once with its outcome, no lock or claim left, no stray tmp file, no process.
import { expect } from 'vitest';
import type { Outcome } from '../../../../machine/types.ts';
import { jsonOf } from './cli.ts';
import { claimsIn, historyIdsIn, indexCountsIn, lockOf, strayTmpFilesIn } from './disk.ts';
import type { Scene } from './scene.ts';

/** How a run is expected to have ended, as `runwarden list --json` shows it. */
export interface Ended {
  readonly id: string;
  readonly outcome: Outcome;
  readonly exitCode?: number | null;
  readonly signal?: string | null;
  readonly reason?: string | null;
}

/** A line of `runwarden list --json`. */
export interface ListedRun {
  readonly id: string;
  readonly outcome: Outcome;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly reason: string | null;
}

/** `runwarden list --json`, expecting success. */
export async function listRuns(scene: Scene): Promise<ListedRun[]> {
  const listed = await scene.cli(['list', '--json']);
  expect(listed, listed.stderr).toMatchObject({ code: 0, signal: null });
  return jsonOf<ListedRun[]>(listed);
}

/**
 * The workspace is at rest with exactly the runs `ended` recorded, each once and as expected: no
 * lock or claim blocks the next start, no tmp file is left, and no process of the test runs.
 */
export async function expectAtRest(scene: Scene, ended: readonly Ended[]): Promise<void> {
  const listed = await listRuns(scene);
  expect(listed.map((r) => r.id).sort()).toEqual(ended.map((r) => r.id).sort());
  for (const want of ended) expect(listed.find((r) => r.id === want.id)).toMatchObject(want);
  expect(historyIdsIn(scene.ws).sort()).toEqual(ended.map((r) => r.id).sort());
  expect(indexCountsIn(scene.ws)).toEqual(Object.fromEntries(ended.map((r) => [r.id, 1])));
  expect(lockOf(scene.ws)).toBeNull();
  expect(claimsIn(scene.ws)).toEqual([]);
  expect(strayTmpFilesIn(scene.ws)).toEqual([]);
  expect(await scene.leftovers.settle()).toEqual([]);
}
