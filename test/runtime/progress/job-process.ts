// Test support: run a job as runwarden does (a run dir, RUNWARDEN_* variables, stdout/stderr
// written straight to files) and end, by PID, every job a test started.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type ProcessTracker, trackProcesses } from '../local/monitor/processes.ts';

/** A running job. */
export interface JobProcess {
  readonly pid: number;
  /** The exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
}

/** Options of `startJob`. */
export interface StartJobOptions {
  /** Leave RUNWARDEN_EVENTS unset (a job not run under runwarden). */
  readonly withoutEvents?: boolean;
  /** Extra or overriding environment variables. */
  readonly env?: Readonly<Record<string, string>>;
}

/** The absolute path of a fixture in test/fixtures/progress. */
export function fixture(name: string): string {
  return path.resolve(import.meta.dirname, '../../fixtures/progress', name);
}

/** A fresh, empty run directory under the system temp dir. */
export function makeRunDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'rw-progress-'));
}

/** Starts and remembers jobs so that `endAll()` can end exactly those. */
export interface JobRunner {
  start(runDir: string, argv: readonly string[], opts?: StartJobOptions): JobProcess;
  /** SIGKILLs the jobs still running and returns the pids left alive (expect []). */
  endAll(): Promise<number[]>;
}

/** A runner for one test; call `endAll()` in afterEach. */
export function jobRunner(): JobRunner {
  const tracker: ProcessTracker = trackProcesses();
  return {
    start(runDir, argv, opts = {}) {
      const [command = '', ...args] = argv;
      const out = fs.openSync(path.join(runDir, 'stdout.log'), 'a');
      const err = fs.openSync(path.join(runDir, 'stderr.log'), 'a');
      const env: Record<string, string | undefined> = {
        ...process.env,
        RUNWARDEN_RUN_ID: path.basename(runDir),
        RUNWARDEN_RUN_DIR: runDir,
        RUNWARDEN_EVENTS: path.join(runDir, 'events.ndjson'),
        ...opts.env,
      };
      if (opts.withoutEvents === true) delete env.RUNWARDEN_EVENTS;
      const child = spawn(command, args, { stdio: ['ignore', out, err], env });
      fs.closeSync(out);
      fs.closeSync(err);
      const exited = new Promise<number | null>((resolve, reject) => {
        child.on('error', reject);
        child.on('exit', (code) => resolve(code));
      });
      if (child.pid === undefined) throw new Error(`could not start ${command}`);
      tracker.add(child.pid);
      return { pid: child.pid, exited };
    },
    endAll: () => tracker.endAll(),
  };
}
