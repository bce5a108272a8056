// Test support: fresh run directories, fixture job command lines, and a tracked launch under the monitor.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MonitorExitRecord } from '../../../../runtime/local/monitor/exit-record.ts';
import { readExitRecord } from '../../../../runtime/local/monitor/exit-record.ts';
import { type Launched, launchMonitored } from '../../../../runtime/local/monitor/launch.ts';
import { type Sandbox, useSandbox } from '../../../helpers/sandbox.ts';
import { waitFor } from '../../../helpers/wait-for.ts';
import { type ProcessTracker, trackProcesses } from './processes.ts';

const FIXTURES_DIR = fileURLToPath(new URL('../../../fixtures/jobs/', import.meta.url));

/** Bound on every wait in these tests: generous, never a pass/fail timing. */
export const WAIT_MS = 20_000;

/** The command line that runs a fixture job: Node fixtures with this Node, shell ones with sh. */
export function fixtureJob(name: string, ...args: string[]): string[] {
  const file = path.join(FIXTURES_DIR, name);
  return name.endsWith('.mjs') ? [process.execPath, file, ...args] : ['sh', file, ...args];
}

/** A fresh temp directory serving as the run directory and the job's cwd. */
export function makeRunDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'rw-monitor-test-'));
}

/** Launch `argv` in `runDir` (also its cwd, logs out.log/err.log there) and track both processes. */
export async function launchTracked(
  tracker: ProcessTracker,
  runDir: string,
  argv: string[],
): Promise<Launched> {
  const launched = await launchMonitored({
    runDir,
    argv,
    cwd: runDir,
    env: { RUNWARDEN_RUN_DIR: runDir },
    stdoutPath: path.join(runDir, 'out.log'),
    stderrPath: path.join(runDir, 'err.log'),
    startTimeoutMs: WAIT_MS,
  });
  if (!launched.ok) throw new Error(`launch failed: ${launched.error.code}: ${launched.error.message}`);
  tracker.add(launched.value.monitorPid);
  tracker.add(launched.value.pid);
  return launched.value;
}

/** Wait until `runDir/exit.json` exists and return it. */
export function waitForExitRecord(runDir: string): Promise<MonitorExitRecord> {
  return waitFor(
    () => {
      const record = readExitRecord(runDir);
      if (!record.ok) throw new Error(`${record.error.code}: ${record.error.message}`);
      return record.value;
    },
    { timeoutMs: WAIT_MS, description: `${runDir}/exit.json` },
  );
}

/** Wait until the fixture wrote `name` into `runDir`. */
export function waitForFile(runDir: string, name: string): Promise<true> {
  return waitFor(() => fs.existsSync(path.join(runDir, name)) || null, {
    timeoutMs: WAIT_MS,
    description: `${runDir}/${name}`,
  });
}

/** Per test: a fresh run directory and a process tracker that must end with nothing left alive. */
export function useRunSandbox(): { current(): Sandbox<ProcessTracker> } {
  return useSandbox(trackProcesses, makeRunDir);
}
