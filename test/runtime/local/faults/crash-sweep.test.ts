// Proves every durable step of start, abort, finalise and recovery is a safe place to die: a real
// runwarden process is SIGKILLed right before its Nth create/write/fsync/rename/link/unlink/append
// (RW_CRASH_AT=N, for every N the command takes), a fresh process recovers, and then at most one
// job ever runs, every run that took the lock has exactly one history record, the job's exit code
// is kept and a recorded abort is carried out.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../../helpers/wait-for.ts';
import { fixtureJob } from '../monitor/run-setup.ts';
import type { CliResult } from './cli.ts';
import {
  crashEnv,
  expectCrashedAt,
  expectEachRecordedOnce,
  jobGone,
  liveJobsOf,
  lockedRunIds,
  recover,
  type Step,
  stepsIn,
} from './crash-sweep.ts';
import { processesOf } from './leftovers.ts';
import { type Run, Scene, startsOf, WAIT_MS } from './scene.ts';

/** One command to crash, with what it needs before and what must hold after. */
interface Scenario<T> {
  /** Bring the workspace to where the command runs (not traced). */
  prepare(scene: Scene): Promise<T>;
  /** The command, with the crash environment. */
  run(scene: Scene, ctx: T, env: Record<string, string>): Promise<CliResult>;
  /** The exit code of the command when it does not crash. */
  readonly code: number;
  /** Recover with fresh processes and check the invariants; returns stray tmp files seen. */
  check(scene: Scene, ctx: T): Promise<string[]>;
}

/** The result of one crash point. */
interface Trial {
  readonly n: number;
  readonly label: string;
  readonly failure: string | null;
  readonly strays: number;
}

/** Wait until no process of the workspace runs (jobs end by themselves in these scenarios). */
const allGone = (scene: Scene) =>
  waitFor(() => processesOf(scene.ws).length === 0 || null, {
    timeoutMs: WAIT_MS,
    description: `every process of ${scene.ws} to end`,
  });

/** Count the command's durable steps, then crash it before each one in a fresh workspace. */
async function sweep<T>(scenario: Scenario<T>): Promise<{ steps: Step[]; trials: Trial[] }> {
  const counting = new Scene();
  const trace = path.join(counting.base, 'trace');
  let steps: Step[] = [];
  try {
    const ctx = await scenario.prepare(counting);
    const whole = await scenario.run(counting, ctx, crashEnv(trace, null));
    expect(whole, whole.stderr).toMatchObject({ code: scenario.code, signal: null });
    steps = stepsIn(trace);
  } finally {
    expect(await counting.end()).toEqual([]);
  }
  expect(steps.length).toBeGreaterThan(0);
  const trials: Trial[] = [];
  for (const step of steps) {
    const scene = new Scene();
    const trialTrace = path.join(scene.base, 'trace');
    let failure: string | null = null;
    let strays = 0;
    try {
      const ctx = await scenario.prepare(scene);
      expectCrashedAt(await scenario.run(scene, ctx, crashEnv(trialTrace, step.n)), trialTrace, step.n);
      strays = (await scenario.check(scene, ctx)).length;
    } catch (error) {
      failure = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    }
    const survivors = await scene.end();
    if (survivors.length > 0) failure ??= `left running: ${survivors.join(', ')}`;
    trials.push({ n: step.n, label: step.label, failure, strays });
  }
  return { steps, trials };
}

/** Print the sweep's figures and return the failures (crash point and first line of the error). */
function report(name: string, result: { steps: Step[]; trials: Trial[] }): string[] {
  const failed = result.trials.filter((t) => t.failure !== null);
  const strays = result.trials.filter((t) => t.strays > 0).length;
  console.log(
    `crash sweep ${name}: ${result.steps.length} crash points, ${result.trials.length} trials, ` +
      `${failed.length} failed, ${strays} left stray tmp files or never-locked run directories`,
  );
  return failed.map((t) => `step ${t.n} (before ${t.label}): ${t.failure}`);
}

const sweepTimeoutMs = 900_000;

describe('crash-point sweep (real processes)', () => {
  it(
    'start: at most one job, each locked run recorded once, its exit code kept',
    async () => {
      const result = await sweep<{ jobDir: string }>({
        code: 0,
        prepare: async (scene) => ({ jobDir: scene.jobDir() }),
        run: (scene, { jobDir }, env) =>
          scene.cli(['start', '-C', jobDir, '--', ...fixtureJob('record-start.mjs', '7')], { env }),
        check: async (scene, { jobDir }) => {
          const ids = lockedRunIds(scene.ws);
          await recover(scene);
          expect(liveJobsOf(scene.ws, 'record-start.mjs').length).toBeLessThanOrEqual(1);
          fs.writeFileSync(path.join(jobDir, 'finish'), '');
          await allGone(scene);
          await recover(scene);
          const ran = startsOf(jobDir);
          expect(ran.length).toBeLessThanOrEqual(1);
          return expectEachRecordedOnce(scene, ids, () =>
            ran.length === 1 ? { outcome: 'failed', exitCode: 7 } : {},
          );
        },
      });
      expect(report('start', result)).toEqual([]);
    },
    sweepTimeoutMs,
  );

  it(
    'start --watch (the watcher finalises): each run recorded once with its exit code',
    async () => {
      const result = await sweep<{ jobDir: string }>({
        code: 5,
        prepare: async (scene) => {
          const jobDir = scene.jobDir();
          // The job exits (5) as soon as it ran once: the watcher finalises at once.
          fs.writeFileSync(path.join(jobDir, 'finish'), '');
          return { jobDir };
        },
        run: (scene, { jobDir }, env) =>
          scene.cli(['start', '--watch', '-C', jobDir, '--', ...fixtureJob('record-start.mjs', '5')], {
            env,
          }),
        check: async (scene, { jobDir }) => {
          const ids = lockedRunIds(scene.ws);
          await allGone(scene);
          await recover(scene);
          const ran = startsOf(jobDir);
          expect(ran.length).toBeLessThanOrEqual(1);
          return expectEachRecordedOnce(scene, ids, () =>
            ran.length === 1 ? { outcome: 'failed', exitCode: 5 } : {},
          );
        },
      });
      expect(report('start --watch', result)).toEqual([]);
    },
    sweepTimeoutMs,
  );

  it(
    'recovery (status finalises an unwatched exit): recorded once with its exit code',
    async () => {
      const result = await sweep<Run>({
        code: 0,
        prepare: async (scene) => {
          const run = await scene.start(fixtureJob('record-start.mjs', '6'));
          await scene.waitForJobFile(run.jobDir, 'starts');
          await scene.finish(run);
          return run;
        },
        run: (scene, _run, env) => scene.cli(['status'], { env }),
        check: async (scene, run) => {
          await recover(scene);
          return expectEachRecordedOnce(scene, [run.runId], () => ({ outcome: 'failed', exitCode: 6 }));
        },
      });
      expect(report('recovery', result)).toEqual([]);
    },
    sweepTimeoutMs,
  );

  it(
    'abort: a recorded abort is carried out after the crash; the run is recorded aborted once',
    async () => {
      const graceMs = 300;
      const result = await sweep<Run>({
        code: 0,
        prepare: async (scene) => {
          const run = await scene.start(fixtureJob('ignore-signals.mjs'), ['--grace', `${graceMs}ms`]);
          await scene.waitForJobFile(run.jobDir, 'ready');
          return run;
        },
        run: (scene, _run, env) => scene.cli(['abort'], { env }),
        check: async (scene, run) => {
          const recorded = fs.existsSync(path.join(scene.ws, run.runId, 'abort.json'));
          const killed = jobGone(run.pid);
          // One fresh process recovers; then nobody else helps: the record alone must get it done.
          await recover(scene);
          if (killed) {
            // The abort got as far as the kill: recovery records the end.
          } else if (recorded) {
            await waitFor(() => jobGone(run.pid) || null, {
              timeoutMs: graceMs + 10_000 + WAIT_MS,
              description: `the recorded abort of ${run.runId} to be carried out (job ${run.pid})`,
            });
          } else {
            const again = await scene.cli(['abort']);
            expect(again, again.stderr).toMatchObject({ code: 0, signal: null });
          }
          await allGone(scene);
          await recover(scene);
          return expectEachRecordedOnce(scene, [run.runId], () => ({
            outcome: 'aborted',
            signal: 'SIGKILL',
          }));
        },
      });
      expect(report('abort', result)).toEqual([]);
    },
    sweepTimeoutMs,
  );
});
