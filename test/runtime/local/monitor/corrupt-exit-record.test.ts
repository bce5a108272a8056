// Proves a corrupt exit.json is reported as corrupt, naming the file, never as "left no exit
// record" (issue 19): a real run ends while nobody watches, its record is damaged, `status` recovers.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Scene, WAIT_MS } from '../faults/scene.ts';
import { fixtureJob } from './run-setup.ts';

let scene: Scene;

beforeEach(() => {
  scene = new Scene();
});

afterEach(async () => {
  expect(await scene.end()).toEqual([]);
});

describe('a corrupt exit record', () => {
  it.each([
    ['torn', '{"code":3,"sig'],
    ['a directory', null],
  ])('(%s) is reported as corrupt naming the file, not as a missing record', async (_label, text) => {
    const run = await scene.start(fixtureJob('exit-with.mjs', '3', '--wait'));
    await scene.waitForJobFile(run.jobDir, 'ready');
    await scene.finish(run);
    const file = path.join(scene.ws, run.runId, 'exit.json');
    fs.rmSync(file);
    if (text === null) fs.mkdirSync(file);
    else fs.writeFileSync(file, text);
    const status = await scene.cli(['status'], { killAfterMs: WAIT_MS });
    const said = status.stdout + status.stderr;
    expect(said).toContain(`${run.runId}/exit.json is corrupt`);
    expect(said).not.toContain('left no exit record');
  });
});
