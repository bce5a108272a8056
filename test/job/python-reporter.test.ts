// Proves the Python helper is importable by path and usable from a shell, turns numpy/torch-like
// scalars into numbers, and swallows what it cannot write — by running real python3 processes.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventsIn } from './events-file.ts';

const helperDir = path.resolve(import.meta.dirname, '../../shells/job');
const helper = path.join(helperDir, 'runwarden_reporter.py');
let dir: string;
let events: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rw-py-reporter-'));
  events = path.join(dir, 'events.ndjson');
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs python3 to its end (spawnSync waits for the process, so none is left) with a 30 s bound. */
function python(args: string[], env: Record<string, string | undefined> = {}) {
  const result = spawnSync('python3', args, {
    env: { ...process.env, PYTHONPATH: helperDir, RUNWARDEN_EVENTS: events, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The events written so far, parsed. */
const written = () => eventsIn(events);

describe('runwarden_reporter.py', () => {
  it('turns scalar-like objects into numbers and anything else into text, never raising', () => {
    const code = [
      'from runwarden_reporter import reporter',
      'class Scalar:',
      '    def item(self): return 0.25',
      'class Broken:',
      '    def item(self): raise RuntimeError("many values")',
      '    def __str__(self): return "broken"',
      'rw = reporter()',
      'rw.metric("loss", Scalar(), step=Scalar())',
      'rw.progress(step=1, tensor=Broken(), nested={"a": [float("inf"), 2]})',
      'rw.metric("loss", float("nan"))',
      'print(rw.write_errors)',
    ].join('\n');
    const result = python(['-c', code]);
    expect(result).toMatchObject({ status: 0, stdout: '0\n', stderr: '' });
    expect(written()).toEqual([
      {
        t: expect.stringMatching(/^\d{4}-.*\.\d{3}Z$/),
        kind: 'metric',
        name: 'loss',
        value: 0.25,
        step: 0.25,
      },
      { t: expect.any(String), kind: 'progress', step: 1, tensor: 'broken', nested: { a: ['Infinity', 2] } },
      { t: expect.any(String), kind: 'metric', name: 'loss', value: 'NaN' },
    ]);
  });

  it('counts failed writes and never raises into the caller', () => {
    fs.mkdirSync(events);
    const code = [
      'from runwarden_reporter import reporter',
      'rw = reporter()',
      'for step in range(3): rw.progress(step=step)',
      'print(rw.enabled, rw.write_errors, rw.last_write_error.split(":")[0])',
    ].join('\n');
    expect(python(['-c', code])).toMatchObject({
      status: 0,
      stdout: 'True 3 IsADirectoryError\n',
      stderr: '',
    });
  });

  it('writes one event from the command line for shell jobs, and explains bad usage', () => {
    expect(python([helper, 'metric', 'name=loss', 'value=0.5', 'step=3'])).toMatchObject({
      status: 0,
      stderr: '',
    });
    expect(python([helper, 'progress', 'phase=10', 'percent=12.5'])).toMatchObject({ status: 0 });
    expect(written()).toEqual([
      { t: expect.any(String), kind: 'metric', name: 'loss', value: 0.5, step: 3 },
      { t: expect.any(String), kind: 'progress', phase: '10', percent: 12.5 },
    ]);
    expect(python([helper, 'launch'])).toMatchObject({ status: 2, stderr: expect.stringMatching(/^usage:/) });
    expect(python([helper, 'heartbeat'], { RUNWARDEN_EVENTS: path.join(dir, 'no', 'x') })).toMatchObject({
      status: 1,
      stderr: expect.stringMatching(/FileNotFoundError/),
    });
  });

  it('is a no-op without RUNWARDEN_EVENTS', () => {
    const code =
      'from runwarden_reporter import reporter\nrw = reporter()\nrw.heartbeat()\nprint(rw.enabled)';
    expect(python(['-c', code], { RUNWARDEN_EVENTS: undefined })).toMatchObject({
      status: 0,
      stdout: 'False\n',
    });
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
