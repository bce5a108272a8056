// Shared by the queue tests (issue 12): every process a test starts carries a unique tag in its
// environment (the CLI, its monitors, their jobs and kicks inherit it), so a test finds them in
// /proc by that tag and ends them by PID — never by name — and checks none is left.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, expect } from 'vitest';
import { waitFor } from '../../helpers/wait-for.ts';
import { alive, runCli, tempWorkspace } from './run-cli.ts';

export const tagVar = 'RW_TEST_QUEUE_TAG';

/** Live pids whose environment carries `tagVar=tag` (this test process excluded). */
export function taggedPids(tag: string): number[] {
  const needle = `${tagVar}=${tag}`;
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(needle) && alive(pid))
        pids.push(pid);
    } catch {
      // gone, or another user's
    }
  }
  return pids;
}

/** The command line of `pid` ('' once gone). */
export function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}

/** Tagged runwarden CLI processes (commands and the monitors' kicks: node running the CLI). */
export function cliPids(tag: string): number[] {
  return taggedPids(tag).filter((pid) =>
    /shells\/cli\/bin\.js|dist\/cli\/main\.js|shells\/cli\/main\.ts/.test(cmdlineOf(pid)),
  );
}

/** SIGKILL `pids` (a job's whole group too) and wait until they are gone. */
export async function killPids(pids: readonly number[]): Promise<void> {
  for (const pid of pids)
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // gone already, or not a group leader
      }
    }
  await waitFor(() => pids.every((p) => !alive(p)), {
    timeoutMs: 10_000,
    description: `pids ${pids.join(',')} gone`,
  });
}

/**
 * Per test: a workspace and a tag; `cli` runs runwarden with both. After each test every tagged
 * process is SIGKILLed by PID (a few rounds: a kick may start a job meanwhile) and checked gone.
 */
export function useQueueWorkspaces() {
  let tags: string[] = [];
  afterEach(async () => {
    const used = tags;
    tags = [];
    for (let round = 0; round < 5; round++) {
      const left = used.flatMap(taggedPids);
      if (left.length === 0) break;
      await killPids(left);
    }
    expect(used.flatMap(taggedPids)).toEqual([]);
  });
  return {
    /** A fresh workspace with its own tag. */
    workspace(): { ws: string; tag: string; env: Record<string, string> } {
      const tag = randomBytes(6).toString('hex');
      tags.push(tag);
      return { ws: tempWorkspace(), tag, env: { [tagVar]: tag } };
    },
  };
}

/** `runwarden args…` on `ws` with the test's tag (and any extra environment). */
export function cliIn(
  space: { ws: string; env: Record<string, string> },
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
) {
  return runCli(space.ws, args, { env: { ...space.env, ...env }, timeoutMs });
}

/** The single line a failing command wrote to stderr. */
export function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0] ?? '';
}
