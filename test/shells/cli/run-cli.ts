// Runs the runwarden CLI as a user does (node shells/cli/bin.ts …) against a temp workspace, and
// ends whatever a test left running, by PID.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect } from 'vitest';
import { waitFor } from '../../helpers/wait-for.ts';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
/** The CLI as `npx runwarden` runs it (its bundle: test/global-setup.ts builds it first). */
export const binPath = join(repoRoot, 'shells/cli/bin.js');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A fresh workspace directory for one test. */
export function tempWorkspace(): string {
  return join(mkdtempSync(join(tmpdir(), 'rw-cli-')), 'runs');
}

/** Run `runwarden args…` with the workspace in RUNWARDEN_WORKSPACE; bounded by `timeoutMs`. */
export function runCli(
  ws: string,
  args: readonly string[],
  options: { env?: Record<string, string>; timeoutMs?: number; onStdout?: (text: string) => void } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binPath, ...args], {
      cwd: repoRoot,
      env: { ...process.env, NO_COLOR: '1', RUNWARDEN_WORKSPACE: ws, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      options.onStdout?.(d.toString());
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `runwarden ${args.join(' ')} did not finish in ${options.timeoutMs ?? 30_000} ms; stderr: ${stderr}`,
        ),
      );
    }, options.timeoutMs ?? 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The job and monitor pids recorded in the workspace lock, if a run is active. */
export function activePids(ws: string): number[] {
  const lock = join(ws, 'active.lock');
  if (!existsSync(lock)) return [];
  try {
    const record = JSON.parse(readFileSync(lock, 'utf8')) as { job?: { pid?: number; monitorPid?: number } };
    return [record.job?.pid, record.job?.monitorPid].filter((p): p is number => typeof p === 'number');
  } catch {
    return [];
  }
}

/** Whether `pid` runs (a zombie counts as gone). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** SIGKILL the given pids (the job's whole group for a job) and wait until they are gone. */
export async function killAll(pids: readonly number[]): Promise<void> {
  for (const pid of pids) {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // already gone, or not a group leader
      }
    }
  }
  await waitFor(() => pids.every((p) => !alive(p)), {
    timeoutMs: 5_000,
    description: `pids ${pids.join(',')} to be gone`,
  });
}

/**
 * Per test: temporary workspaces and job pids to clean up. After each test every active run's
 * job and monitor (and any pid passed to `track`) is SIGKILLed by PID and checked gone.
 */
export function useWorkspaces(): { workspace(): string; track(pid: number): void } {
  let workspaces: string[] = [];
  let pids: number[] = [];
  afterEach(async () => {
    const all = [...pids, ...workspaces.flatMap(activePids)];
    workspaces = [];
    pids = [];
    await killAll(all);
    expect(all.filter(alive)).toEqual([]);
  });
  return {
    workspace() {
      const ws = tempWorkspace();
      workspaces.push(ws);
      return ws;
    },
    track(pid) {
      pids.push(pid);
    },
  };
}
