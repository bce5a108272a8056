// Proves an unreadable workspace lock (empty, torn JSON, NUL-filled) is quarantined with a clear
// message and blocks nothing: the test writes the bad lock, runs the real CLI and inspects the files.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixtureJob } from '../monitor/run-setup.ts';
import { jsonOf } from './cli.ts';
import { quarantinedIn } from './disk.ts';
import { expectAtRest } from './invariants.ts';
import { Scene } from './scene.ts';

let scene: Scene;

beforeEach(() => {
  scene = new Scene();
});

afterEach(async () => {
  expect(await scene.end()).toEqual([]);
});

const cases = [
  { label: 'an empty lock', bytes: Buffer.alloc(0), detail: 'empty file' },
  {
    label: 'a half-written lock',
    bytes: Buffer.from('{"runId":"train-20260101T000000Z-ab12","nonce":"1-2-x","createdAt":17'),
    detail: 'not valid JSON',
  },
  { label: 'a NUL-filled lock', bytes: Buffer.alloc(4096, 0), detail: 'NUL bytes (torn write)' },
];

/** `text` matched literally inside a RegExp. */
const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Put `bytes` in place as the workspace lock. */
function writeBadLock(bytes: Buffer): void {
  fs.mkdirSync(scene.ws, { recursive: true });
  fs.writeFileSync(path.join(scene.ws, 'active.lock'), bytes);
}

/** Start a run at once, let it finish unwatched and record it; returns its id. */
async function startWorksAtOnce(): Promise<string> {
  const run = await scene.start(fixtureJob('record-start.mjs', '0'));
  await scene.waitForJobFile(run.jobDir, 'starts');
  await scene.finish(run);
  const status = await scene.cli(['status', '--json']);
  expect(jsonOf(status)).toMatchObject({ state: 'idle', recovered: [{ runId: run.runId }] });
  return run.runId;
}

describe('an unreadable workspace lock', () => {
  it.each(cases)('($label) is quarantined by status with a warning saying why', async ({ bytes, detail }) => {
    writeBadLock(bytes);
    const status = await scene.cli(['status']);
    expect(status, status.stderr).toMatchObject({ code: 0, signal: null });
    const [moved] = quarantinedIn(scene.ws);
    expect(quarantinedIn(scene.ws)).toHaveLength(1);
    const where = path.join(scene.ws, moved ?? '?');
    expect(status.stderr).toMatch(
      new RegExp(
        `^runwarden: warning: the workspace lock was unreadable \\(${escaped(detail)}[^\\n]*; ` +
          `moved to ${escaped(where)}\\); the workspace is usable again\\n$`,
      ),
    );
    expect(fs.readFileSync(path.join(scene.ws, moved ?? '?'))).toEqual(bytes);
    expect(fs.existsSync(path.join(scene.ws, 'active.lock'))).toBe(false);
    expect(status.stdout).toMatch(/^state: +idle$/m);

    const id = await startWorksAtOnce();
    await expectAtRest(scene, [{ id, outcome: 'finished', exitCode: 0 }]);
    expect(quarantinedIn(scene.ws)).toEqual([moved]);
  });

  it.each(cases)('($label) does not stop a start that finds it first', async ({ bytes }) => {
    writeBadLock(bytes);
    const id = await startWorksAtOnce();
    expect(quarantinedIn(scene.ws)).toHaveLength(1);
    await expectAtRest(scene, [{ id, outcome: 'finished', exitCode: 0 }]);
  });
});
