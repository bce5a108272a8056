// Test support: one fault test's world — a fresh temp workspace and job directories, the CLI run on
// it with every pid tracked, runs started and ended as a user would, and the end-of-test sweep.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { waitFor } from '../../../helpers/wait-for.ts';
import { isGoneOrZombie } from '../monitor/processes.ts';
import { type CliOptions, type CliProcess, type CliResult, spawnCli } from './cli.ts';
import { jobPidsOf, lockOf } from './disk.ts';
import { Leftovers } from './leftovers.ts';

/** Bound on every wait in these tests: generous (CI has 2 cores), never a pass/fail timing. */
export const WAIT_MS = 20_000;

/** A run started through the CLI, with the pids its lock records. */
export interface Run {
  readonly runId: string;
  readonly pid: number;
  readonly monitorPid: number;
  /** The job's cwd: fixtures write `ready`, `starts`, … here and wait for `finish`. */
  readonly jobDir: string;
}

/** The pids test/fixtures/jobs/record-start.mjs wrote in `jobDir`: one per time the job ran. */
export function startsOf(jobDir: string): number[] {
  const file = path.join(jobDir, 'starts');
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').trim().split('\n').map(Number);
}

/** Everything one test works with; `end()` in afterEach. */
export class Scene {
  /** Temp root of this test: the workspace and the job directories live inside. */
  readonly base: string;
  readonly ws: string;
  readonly leftovers: Leftovers;
  private jobDirs = 0;

  constructor(ws?: string) {
    this.base = fs.mkdtempSync(path.join(os.tmpdir(), 'rw-faults-'));
    this.ws = ws ?? path.join(this.base, 'ws');
    this.leftovers = new Leftovers(this.ws);
  }

  /** A fresh directory for a job to run in. */
  jobDir(): string {
    this.jobDirs += 1;
    const dir = path.join(this.base, `job-${this.jobDirs}`);
    fs.mkdirSync(dir);
    return dir;
  }

  /** Spawn `runwarden ARGS` on this workspace, tracking its pid. */
  spawn(args: readonly string[], options: CliOptions = {}): CliProcess {
    return spawnCli(this.ws, args, (pid) => this.leftovers.add(pid), options);
  }

  /** Run `runwarden ARGS` on this workspace to its end. */
  cli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
    return this.spawn(args, options).done;
  }

  /** `runwarden start -C JOBDIR EXTRA -- ARGV`; expects success and tracks the job and its monitor. */
  async start(argv: readonly string[], extra: readonly string[] = []): Promise<Run> {
    const jobDir = this.jobDir();
    const result = await this.cli(['start', '-C', jobDir, ...extra, '--', ...argv]);
    expect(result, result.stderr).toMatchObject({ code: 0, signal: null });
    return this.adoptRun(jobDir);
  }

  /** The run the workspace lock records now, its job and monitor tracked. */
  adoptRun(jobDir: string): Run {
    const lock = lockOf(this.ws);
    const pids = lock === null ? null : jobPidsOf(lock);
    if (lock === null || pids === null) throw new Error(`no job recorded in ${this.ws}/active.lock`);
    this.leftovers.add(pids.monitorPid);
    this.leftovers.add(pids.pid);
    return { runId: lock.runId, ...pids, jobDir };
  }

  /** Wait until the fixture wrote `name` into the job's directory. */
  waitForJobFile(jobDir: string, name: string): Promise<true> {
    return waitFor(() => fs.existsSync(path.join(jobDir, name)) || null, {
      timeoutMs: WAIT_MS,
      description: `${jobDir}/${name}`,
    });
  }

  /** Let a waiting fixture job exit (it polls for `finish`) and wait until it and its monitor are gone. */
  async finish(run: Run): Promise<void> {
    fs.writeFileSync(path.join(run.jobDir, 'finish'), '');
    await this.waitGone(run);
  }

  /** Wait until the job and its monitor have ended. */
  waitGone(run: Run, timeoutMs = WAIT_MS): Promise<true> {
    return waitFor(() => (isGoneOrZombie(run.pid) && isGoneOrZombie(run.monitorPid)) || null, {
      timeoutMs,
      description: `job ${run.pid} and monitor ${run.monitorPid} of ${run.runId} to end`,
    });
  }

  /** End every leftover by PID and remove the temp files; returns what survived (expect []). */
  async end(): Promise<string[]> {
    const survivors = await this.leftovers.endAll();
    fs.rmSync(this.ws, { recursive: true, force: true });
    fs.rmSync(this.base, { recursive: true, force: true });
    return survivors;
  }
}
