// Proves, through the real CLI and real jobs, that no file of the workspace is followed out of it
// or waited on (issue 19 F4, F7): a FIFO or a symlink at the lock, a claim, exit.json,
// events.ndjson, abort.json or stderr.log never hangs `status`; a run directory, history/,
// active.lock or stdout.log replaced by a link never makes runwarden read or write outside.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliResult } from '../local/faults/cli.ts';
import { type Run, Scene, WAIT_MS } from '../local/faults/scene.ts';
import { fixtureJob } from '../local/monitor/run-setup.ts';

let scene: Scene;
let outside: string;
const secret = 'outside-secret-bytes-3f9a';
/**
 * What a link out of the workspace points at: one line that is a valid exit record (code 42), a
 * valid abort request and a valid error event, all carrying the secret. Following any link shows.
 */
const bait = `${JSON.stringify({
  code: 42,
  signal: null,
  endedAt: 1,
  requestedAt: 1,
  graceMs: 0,
  forced: true,
  kind: 'error',
  message: secret,
})}\n`;

beforeEach(() => {
  scene = new Scene();
  outside = path.join(scene.base, 'outside');
  fs.mkdirSync(outside);
  for (const name of ['secret', 'stderr.log', 'stdout.log']) fs.writeFileSync(path.join(outside, name), bait);
});

afterEach(async () => {
  expect(await scene.end()).toEqual([]);
});

/** `runwarden status`, bounded well below the CLI's own timeouts: a hang fails the test. */
function status(): Promise<CliResult> {
  return scene.cli(['status'], { killAfterMs: WAIT_MS });
}

/** A waiting job (exit code 0 once `finish` appears in its directory), started through the CLI. */
async function waitingRun(): Promise<Run> {
  const run = await scene.start(fixtureJob('exit-with.mjs', '0', '--wait'));
  await scene.waitForJobFile(run.jobDir, 'ready');
  return run;
}

const runFile = (run: Run, name: string) => path.join(scene.ws, run.runId, name);

/** Put a FIFO (or a symlink to the outside secret) where `file` was. */
function plant(file: string, kind: 'fifo' | 'symlink'): void {
  fs.rmSync(file, { force: true });
  if (kind === 'fifo') execFileSync('mkfifo', [file]);
  else fs.symlinkSync(path.join(outside, 'secret'), file);
}

describe.each(['fifo', 'symlink'] as const)('a %s at a workspace file', (kind) => {
  it('at active.lock: status ends at once, names the file, and quotes nothing outside', async () => {
    fs.mkdirSync(scene.ws, { recursive: true });
    plant(path.join(scene.ws, 'active.lock'), kind);
    const result = await status();
    expect(result.signal).toBeNull();
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(path.join(scene.ws, 'active.lock'));
    expect(result.stderr).toMatch(kind === 'fifo' ? /FIFO/ : /symbolic link/);
    expect(result.stdout + result.stderr).not.toContain(secret);
  });

  it('at a claim: status ends', async () => {
    fs.mkdirSync(scene.ws, { recursive: true });
    plant(path.join(scene.ws, 'active.lock.claimed-1-2-0123abcd-beef'), kind);
    const result = await status();
    expect(result.signal).toBeNull();
    expect(result.stdout + result.stderr).not.toContain(secret);
  });

  it.each(['exit.json', 'events.ndjson', 'abort.json', 'stderr.log'])(
    'at %s of a live run: status ends and the run still ends and is recorded',
    async (name) => {
      const run = await waitingRun();
      plant(runFile(run, name), kind);
      const result = await status();
      expect(result.signal).toBeNull();
      expect(result.stdout + result.stderr).not.toContain(secret);
      await scene.finish(run);
      const after = await status();
      expect(after.signal).toBeNull();
      const list = await scene.cli(['list', '--json'], { killAfterMs: WAIT_MS });
      expect(list.stdout).toContain(run.runId);
      expect(list.stdout + after.stdout + after.stderr).not.toContain(secret);
      // The history keeps the job's own ending (exit 0, not the bait's 42 or abort), none of the bait.
      const record = fs.readFileSync(path.join(scene.ws, 'history', `${run.runId}.json`), 'utf8');
      expect(record).not.toContain(secret);
      expect(JSON.parse(record)).toMatchObject({ outcome: 'finished', exitCode: 0 });
    },
  );
});

describe('links out of the workspace', () => {
  it('a run directory replaced by a link: nothing is written or copied outside', async () => {
    const run = await waitingRun();
    const runDir = path.join(scene.ws, run.runId);
    fs.renameSync(runDir, `${runDir}.moved`);
    fs.symlinkSync(outside, runDir);
    await scene.finish(run);
    // The monitor wrote into the directory it opened at launch, never through the link.
    expect(fs.existsSync(path.join(`${runDir}.moved`, 'exit.json'))).toBe(true);
    await status();
    await scene.cli(['abort'], { killAfterMs: WAIT_MS });
    expect(fs.readdirSync(outside).sort()).toEqual(['secret', 'stderr.log', 'stdout.log']);
    const history = path.join(scene.ws, 'history');
    const records = fs.existsSync(history) ? fs.readdirSync(history) : [];
    for (const name of records)
      expect(fs.readFileSync(path.join(history, name), 'utf8')).not.toContain(secret);
  });

  it('history/ replaced by a link: the record is refused, not written outside', async () => {
    fs.mkdirSync(scene.ws, { recursive: true });
    fs.symlinkSync(outside, path.join(scene.ws, 'history'));
    const run = await waitingRun();
    await scene.finish(run);
    const result = await status();
    expect(result.signal).toBeNull();
    expect(fs.readdirSync(outside).sort()).toEqual(['secret', 'stderr.log', 'stdout.log']);
  });

  it('stdout.log as a link: `runwarden logs` refuses it and prints nothing of the outside file', async () => {
    const run = await waitingRun();
    await scene.finish(run);
    plant(runFile(run, 'stdout.log'), 'symlink');
    for (const args of [
      ['logs', run.runId],
      ['logs', run.runId, '--tail', '5'],
    ]) {
      const result = await scene.cli(args, { killAfterMs: WAIT_MS });
      expect(result.stdout).not.toContain(secret);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/symbolic link/);
    }
  });
});
