// Proves an embedding service can do what the CLI does through the library alone: start, follow
// a run's status, progress and logs (async iterator and event emitter), abort, show, inspect, read
// log tails — with real jobs — and that library errors carry stable codes and name no CLI command.
import { describe, expect, it } from 'vitest';
import { openWorkspace, type RunUpdate, RunwardenError } from '../../../shells/api/index.ts';
import { hintedMessage } from '../../../shells/cli/hints.ts';
import { runCli, useWorkspaces } from '../cli/run-cli.ts';

const { workspace } = useWorkspaces();
const cliCommand = /\brunwarden (start|status|watch|abort|logs|list|show|inspect|serve)\b/;

/** A Node job that reports progress, prints three lines and exits 0. */
const chattyJob = [
  process.execPath,
  '-e',
  `const fs = require('node:fs');
   fs.appendFileSync(process.env.RUNWARDEN_EVENTS, JSON.stringify({ t: new Date().toISOString(), kind: 'progress', step: 2, total: 4 }) + '\\n');
   let i = 0;
   const t = setInterval(() => { console.log('line ' + ++i); if (i === 3) { clearInterval(t); } }, 100);`,
];

/** The error `run` throws, which must be a RunwardenError. */
async function failureOf(run: () => unknown): Promise<RunwardenError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof RunwardenError) return error;
    throw error;
  }
  throw new Error('expected a RunwardenError');
}

describe('following a run from a library', () => {
  it('yields status with progress, the log text, and last the ended record (async iterator)', async () => {
    const ws = openWorkspace(workspace());
    const run = await ws.start({ argv: chattyJob });
    const updates: RunUpdate[] = [];
    for await (const update of ws.follow(run.id, { intervalMs: 50 })) updates.push(update);
    const last = updates.at(-1);
    expect(last?.kind === 'ended' && last.record.outcome).toBe('finished');
    const stdout = updates
      .flatMap((u) => (u.kind === 'log' && u.stream === 'stdout' ? [u.text] : []))
      .join('');
    expect(stdout).toBe('line 1\nline 2\nline 3\n');
    const steps = updates.flatMap((u) => (u.kind === 'status' ? [u.view.run?.progress?.step ?? null] : []));
    expect(steps).toContain(2);
    expect(updates.filter((u) => u.kind === 'ended')).toHaveLength(1);
  });

  it('emits status, then ended after an abort (event emitter); stop() leaves a run running', async () => {
    const ws = openWorkspace(workspace());
    const run = await ws.start({ argv: ['sleep', '60'], graceMs: 1_000 });
    const early = ws.watch(run.id, { intervalMs: 50 });
    await new Promise<void>((resolve) => early.once('status', () => resolve()));
    early.stop();
    await early.done;
    expect((await ws.status()).state).toBe('running');

    const watcher = ws.watch(undefined, { intervalMs: 50 });
    const states: string[] = [];
    watcher.on('status', (view) => states.push(view.state));
    const ended = new Promise<string>((resolve) =>
      watcher.once('ended', (record) => resolve(record.outcome)),
    );
    await new Promise<void>((resolve) => watcher.once('status', () => resolve()));
    await ws.abort({ force: true });
    expect(await ended).toBe('aborted');
    await watcher.done;
    expect(states[0]).toBe('running');
  });

  it('gives an ended run at once, its record (show), its journal (inspect) and its log tails', async () => {
    const ws = openWorkspace(workspace());
    const run = await ws.start({ argv: ['sh', '-c', 'echo out; echo err >&2; exit 4'] });
    const updates: RunUpdate[] = [];
    for await (const update of ws.follow(run.id, { intervalMs: 50 })) updates.push(update);
    const again: RunUpdate[] = [];
    for await (const update of ws.follow(run.id)) again.push(update);
    expect(again.map((u) => u.kind)).toEqual(['ended']);
    expect(ws.show(run.id.slice(0, -2))).toMatchObject({ runId: run.id, outcome: 'failed', exitCode: 4 });
    expect(ws.inspect(run.id).map((e) => e.to)).toContain('idle');
    // Every run's directory is kept by default (issue 14): both logs are still on disk.
    expect(ws.logTail(run.id, { stream: 'stderr' })).toEqual(['err']);
    expect(ws.logTail(run.id)).toEqual(['out']);
  });
});

describe('library errors', () => {
  it('carry stable codes and messages that name no CLI command', async () => {
    const ws = openWorkspace(workspace());
    const errors = [
      await failureOf(() => ws.abort()),
      await failureOf(() => ws.resolveRun('no-such-run', 'latest')),
      await failureOf(() => ws.resolveRun(undefined, 'latest')),
    ];
    const run = await ws.start({ argv: ['sleep', '60'], graceMs: 1_000 });
    errors.push(await failureOf(() => ws.start({ argv: ['sleep', '1'] })));
    errors.push(await failureOf(() => ws.show(run.id)));
    await ws.abort({ force: true });
    expect(errors.map((e) => e.code)).toEqual([
      'RW_NO_ACTIVE_RUN',
      'RW_NOT_FOUND',
      'RW_NOT_FOUND',
      'RW_CONFLICT',
      'RW_NOT_FOUND',
    ]);
    for (const error of errors) expect(error.message).not.toMatch(cliCommand);
  });

  it('get the hint for their code from the CLI, and only there', async () => {
    const conflict = new RunwardenError('RW_CONFLICT', 'run x is already active');
    expect(hintedMessage(conflict)).toBe(
      "run x is already active; watch it with 'runwarden watch' or stop it with 'runwarden abort'",
    );
    const own = new RunwardenError(
      'RW_NOT_FOUND',
      'run x has not ended yet; follow it with: runwarden watch',
    );
    expect(hintedMessage(own)).toBe(own.message);
    const result = await runCli(workspace(), ['show', 'no-such-run']);
    expect({ code: result.code, stderr: result.stderr }).toEqual({
      code: 4,
      stderr: expect.stringMatching(
        /^runwarden: no run 'no-such-run' in \S+; see runs with: runwarden list, or start one with: runwarden start -- CMD\n$/,
      ),
    });
  });
});
