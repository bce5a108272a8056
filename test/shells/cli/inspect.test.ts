// Proves `runwarden inspect`: the journal of a scripted run (start, abort, grace over, forced
// kill, finalising) reads back as the expected transitions in order, and a run that ended while
// no runwarden process watched shows the recovery path that found and finalised it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/wait-for.ts';
import { runCli, useWorkspaces } from './run-cli.ts';

interface Entry {
  seq: number;
  from: string | null;
  to: string;
  event: string;
  detail: string | null;
}

const { workspace } = useWorkspaces();

async function journal(ws: string, run: string): Promise<Entry[]> {
  const result = await runCli(ws, ['inspect', run, '--json']);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as Entry[];
}

describe('runwarden inspect', () => {
  it('shows an aborted run going through the grace, the forced kill and finalising, in order', async () => {
    const ws = workspace();
    // Retention that deletes aborted runs (not the default since issue 14): the directory goes,
    // its journal is kept with the history.
    const start = await runCli(ws, [
      'start',
      '--json',
      '--on-abort',
      'delete',
      '--name',
      'stubborn',
      '--grace',
      '1s',
      '--',
      'sh',
      '-c',
      'trap "" INT; sleep 30',
    ]);
    const { id, dir } = JSON.parse(start.stdout) as { id: string; dir: string };
    expect((await runCli(ws, ['abort'])).code).toBe(0);
    expect(existsSync(dir)).toBe(false);
    const entries = await journal(ws, id);
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
    const path = entries
      .filter((e) => e.from !== null)
      .map((e) => `${e.event}${e.detail ? `(${e.detail})` : ''} -> ${e.to}`);
    const tail = path.slice(path.findIndex((p) => p.startsWith('run.abort')));
    expect(tail).toEqual([
      'run.abort -> live.aborting.graceful',
      'xstate.after.abortGraceMs.runwarden.live.aborting.graceful -> live.aborting.forced',
      'process.exited(SIGKILL) -> claiming.trying',
      'xstate.done.actor.claimLock -> finalizing.recording',
      'xstate.done.actor.recordHistory -> finalizing.retaining',
      'xstate.done.actor.applyRetention -> finalizing.releasing',
      'xstate.done.actor.releaseLock -> idle',
    ]);
    expect((await runCli(ws, ['inspect', id])).stdout).toContain(
      '--after abortGraceMs--> live.aborting.forced',
    );
  });

  it('shows how recovery found and finalised a run that ended while nobody watched', async () => {
    const ws = workspace();
    const start = await runCli(ws, [
      'start',
      '--json',
      '--name',
      'alone',
      '--on-failure',
      'keep',
      '--',
      'sh',
      '-c',
      'sleep 0.3; exit 3',
    ]);
    const { id, dir } = JSON.parse(start.stdout) as { id: string; dir: string };
    await waitFor(() => existsSync(join(dir, 'exit.json')), {
      timeoutMs: 10_000,
      description: 'the job to exit',
    });
    expect((await runCli(ws, ['status'])).stderr).toContain(
      `note: run ${id} failed (code 3) while no runwarden process was watching`,
    );
    const entries = await journal(ws, id);
    const recovery = entries.find((e) => e.detail === 'found finalize');
    expect(recovery).toMatchObject({ from: 'recovering.inspecting', to: 'claiming.trying' });
    expect(entries.at(-1)).toMatchObject({ to: 'idle', event: 'xstate.done.actor.releaseLock' });
  });
});
