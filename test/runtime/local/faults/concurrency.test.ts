// Proves the workspace admits exactly one run and one finaliser: 8 real `runwarden start` processes
// race on one workspace, and 2 real `runwarden status` processes race to recover one stale lock.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isGoneOrZombie } from '../monitor/processes.ts';
import { fixtureJob } from '../monitor/run-setup.ts';
import { type CliResult, jsonOf } from './cli.ts';
import { claimsIn, historyIdsIn, lockOf } from './disk.ts';
import { type Ended, expectAtRest } from './invariants.ts';
import { processesOf } from './leftovers.ts';
import { type Run, Scene, startsOf } from './scene.ts';

let scene: Scene;

beforeEach(() => {
  scene = new Scene();
});

afterEach(async () => {
  expect(await scene.end()).toEqual([]);
});

/** Run `runwarden status --json` twice at once; both must succeed. */
async function twoRecoverers(): Promise<CliResult[]> {
  const both = await Promise.all(
    [scene.spawn(['status', '--json']), scene.spawn(['status', '--json'])].map((p) => p.done),
  );
  for (const result of both) expect(result, result.stderr).toMatchObject({ code: 0, signal: null });
  return both;
}

/** Start a run and let its CLI end, so the run is left to nobody. */
async function unwatchedRun(code: string): Promise<Run> {
  const run = await scene.start(fixtureJob('record-start.mjs', code));
  await scene.waitForJobFile(run.jobDir, 'starts');
  return run;
}

describe('concurrent starts', () => {
  it('8 starts at once make exactly one run; the 7 others exit 3 naming it in one line', async () => {
    const jobDir = scene.jobDir();
    const argv = ['start', '-C', jobDir, '--', ...fixtureJob('record-start.mjs', '0')];
    const starters = Array.from({ length: 8 }, () => scene.spawn(argv));
    const results = await Promise.all(starters.map((s) => s.done));

    const winners = results.filter((r) => r.code === 0);
    expect(winners, results.map((r) => r.stderr).join('')).toHaveLength(1);
    const run = scene.adoptRun(jobDir);
    const losers = results.filter((r) => r !== winners[0]);
    for (const loser of losers) {
      expect(loser).toMatchObject({ code: 3, signal: null, stdout: '' });
      expect(loser.stderr).toMatch(new RegExp(`^runwarden: run ${run.runId} is already active[^\\n]*\\n$`));
    }
    await scene.waitForJobFile(jobDir, 'starts');
    expect(winners[0]?.stdout).toContain(`started ${run.runId} (pid ${run.pid})`);
    // Monitors name the job in their argv too: count only the jobs themselves.
    const jobs = processesOf(scene.ws).filter(
      (p) => p.cmdline.includes('record-start.mjs') && !p.cmdline.includes('rw-monitor'),
    );
    expect(jobs.map((p) => p.pid)).toEqual([run.pid]);
    expect(startsOf(jobDir)).toEqual([run.pid]);

    await scene.finish(run);
    expect(startsOf(jobDir)).toEqual([run.pid]);
    const status = await scene.cli(['status', '--json']);
    expect(jsonOf(status)).toMatchObject({ state: 'idle', recovered: [{ runId: run.runId }] });
    await expectAtRest(scene, [{ id: run.runId, outcome: 'finished', exitCode: 0 }]);
  });
});

describe('concurrent recoverers', () => {
  it('2 recoverers of a run that exited unwatched write exactly one history record (3 rounds)', async () => {
    const ended: Ended[] = [];
    for (let round = 0; round < 3; round++) {
      const run = await unwatchedRun('6');
      await scene.finish(run);
      const views = (await twoRecoverers()).map((r) => jsonOf<{ recovered: { runId: string }[] }>(r));
      expect(views.flatMap((v) => v.recovered)).toEqual([
        { kind: 'ended-unwatched', runId: run.runId, reason: 'failed (code 6)' },
      ]);
      ended.push({ id: run.runId, outcome: 'failed', exitCode: 6, signal: null });
      expect(historyIdsIn(scene.ws).sort()).toEqual(ended.map((e) => e.id).sort());
      expect(lockOf(scene.ws)).toBeNull();
      expect(claimsIn(scene.ws)).toEqual([]);
    }
    await expectAtRest(scene, ended);
  });

  it('2 recoverers of an orphaned run (job and monitor killed) write exactly one history record', async () => {
    const ended: Ended[] = [];
    for (let round = 0; round < 3; round++) {
      const run = await unwatchedRun('0');
      process.kill(run.monitorPid, 'SIGKILL');
      await scene.waitGone({ ...run, pid: run.monitorPid });
      expect(isGoneOrZombie(run.pid)).toBe(false);
      process.kill(run.pid, 'SIGKILL');
      await scene.waitGone(run);
      const views = (await twoRecoverers()).map((r) => jsonOf<{ recovered: { runId: string }[] }>(r));
      expect(views.flatMap((v) => v.recovered)).toEqual([
        { kind: 'orphaned', runId: run.runId, reason: 'process-gone' },
      ]);
      ended.push({ id: run.runId, outcome: 'orphaned', exitCode: null, reason: 'process-gone' });
      expect(historyIdsIn(scene.ws).sort()).toEqual(ended.map((e) => e.id).sort());
      expect(lockOf(scene.ws)).toBeNull();
      expect(claimsIn(scene.ws)).toEqual([]);
    }
    await expectAtRest(scene, ended);
  });
});
