// Proves the `params` event (issue 17) end to end on real files: the Node reporter's params(),
// the Python helper's params() and its command-line form write `{"kind":"params","params":{…}}`
// lines, and the record facts merge them over the start's --param values (later wins, nested as a.b).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { layoutOf } from '../../runtime/local/layout.ts';
import { eventFactsOf } from '../../runtime/local/run-facts.ts';
import { reporter } from '../../shells/job/reporter.ts';

const helperDir = path.resolve(import.meta.dirname, '../../shells/job');

/** A workspace with one run directory; the path of its events file. */
function runDir(): { ws: string; events: string } {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'rw-params-'));
  fs.mkdirSync(path.join(ws, 'r1'));
  return { ws, events: layoutOf(ws).runFile('r1', 'events') };
}

describe('the params event', () => {
  it('is written by both helpers and merged over the start params, later values winning', () => {
    const { ws, events } = runDir();
    const node = reporter({ RUNWARDEN_EVENTS: events });
    node.params({ lr: 0.1, optim: { name: 'sgd', momentum: 0.9 } });
    node.close();
    const code =
      'from runwarden_reporter import reporter\nreporter().params({"optim": {"name": "adam"}}, seed=7)\n';
    const py = spawnSync('python3', ['-c', code], {
      env: { ...process.env, PYTHONPATH: helperDir, RUNWARDEN_EVENTS: events },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(py.status, py.stderr).toBe(0);
    const cli = spawnSync(
      'python3',
      [path.join(helperDir, 'runwarden_reporter.py'), 'params', 'batch=64', 'tag=v2'],
      {
        env: { ...process.env, RUNWARDEN_EVENTS: events },
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(cli.status, cli.stderr).toBe(0);
    const kinds = fs
      .readFileSync(events, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; params: unknown });
    expect(kinds.map((e) => e.kind)).toEqual(['params', 'params', 'params']);
    expect(kinds[2]?.params).toEqual({ batch: 64, tag: 'v2' });
    const facts = eventFactsOf(layoutOf(ws), 'r1', { lr: '0.5', run: 'cli' });
    expect(facts.params).toEqual({
      lr: 0.1,
      run: 'cli',
      'optim.name': 'adam',
      'optim.momentum': 0.9,
      seed: 7,
      batch: 64,
      tag: 'v2',
    });
  });
});

describe('metric statistics of the events file', () => {
  it('read the same from compact helper lines and from any other JSON spelling, and say when cut', () => {
    const { ws, events } = runDir();
    const values = [3, 1.25, 'NaN', 0.5, 2e-3, 7];
    const compact = values.map((value, i) =>
      JSON.stringify({ t: '2026-01-01T00:00:00.000Z', kind: 'metric', name: 'loss', value, step: i + 1 }),
    );
    // The same values written with spaces, keys reordered and an extra field: parsed as JSON.
    const spelled = values.map(
      (value, i) =>
        `{ "step": ${i + 1}, "kind": "metric", "value": ${JSON.stringify(value)}, "name": "alt", "gpu": {"name": "x"} }`,
    );
    fs.writeFileSync(
      events,
      `${[...compact, '{"kind":"progress","message":"metric soon"}', ...spelled, 'not json'].join('\n')}\n`,
    );
    const facts = eventFactsOf(layoutOf(ws), 'r1');
    const want = {
      last: { value: 7, step: 6, n: 6 },
      min: { value: 2e-3, step: 5, n: 5 },
      max: { value: 7, step: 6, n: 6 },
      count: 6,
    };
    expect(facts.metrics).toEqual({ loss: want, alt: want });
    expect(facts.metricsComplete).toBe(true);
    const cut = eventFactsOf(layoutOf(ws), 'r1', {}, 200);
    expect(cut.metricsComplete).toBe(false);
    expect(cut.metrics.loss?.count).toBe(2);
  });
});
