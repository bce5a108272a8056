// Proves the Node helper's contract in process: each event is on disk as one line when the call
// returns, values JSON cannot carry and unwritable files are counted not thrown, and it recovers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reporter } from '../../shells/job/reporter.ts';
import { eventsIn } from './events-file.ts';

let dir: string;
let events: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rw-reporter-'));
  events = path.join(dir, 'events.ndjson');
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The events written so far, parsed. */
const written = () => eventsIn(events);

describe('reporter', () => {
  it('has each event on disk as one line when the call returns', () => {
    const rw = reporter({ RUNWARDEN_EVENTS: events });
    rw.phase('train', { message: 'go' });
    expect(written()).toEqual([{ t: expect.any(String), kind: 'progress', message: 'go', phase: 'train' }]);
    rw.metric('loss', 0.5, 3);
    rw.checkpoint('a.pt');
    rw.heartbeat();
    rw.info('hello');
    rw.error('bad');
    expect(written().map((event) => event.kind)).toEqual([
      'progress',
      'metric',
      'checkpoint',
      'heartbeat',
      'info',
      'error',
    ]);
    expect(written()[1]).toEqual({
      t: expect.stringMatching(/Z$/),
      kind: 'metric',
      name: 'loss',
      value: 0.5,
      step: 3,
    });
    rw.close();
  });

  it('writes NaN and infinities as names the reader understands', () => {
    const rw = reporter({ RUNWARDEN_EVENTS: events });
    rw.metric('loss', Number.NaN);
    rw.metric('loss', Number.POSITIVE_INFINITY);
    rw.metric('loss', Number.NEGATIVE_INFINITY);
    expect(written().map((event) => event.value)).toEqual(['NaN', 'Infinity', '-Infinity']);
    rw.close();
  });

  it('counts a value JSON cannot encode instead of throwing, and goes on', () => {
    const rw = reporter({ RUNWARDEN_EVENTS: events });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => rw.progress({ step: 1, big: 10n })).not.toThrow();
    expect(() => rw.progress({ step: 2, cyclic })).not.toThrow();
    rw.progress({ step: 3 });
    expect(rw.writeErrors).toBe(2);
    expect(rw.lastWriteError).toMatch(/circular/i);
    expect(written().map((event) => event.step)).toEqual([3]);
    rw.close();
  });

  it('counts writes to an unwritable path and writes again once the path works', () => {
    fs.mkdirSync(events);
    const rw = reporter({ RUNWARDEN_EVENTS: events });
    expect(() => rw.heartbeat()).not.toThrow();
    expect(rw).toMatchObject({
      enabled: true,
      writeErrors: 1,
      lastWriteError: expect.stringMatching(/EISDIR/),
    });
    fs.rmdirSync(events);
    rw.heartbeat();
    expect(rw.writeErrors).toBe(1);
    expect(written()).toHaveLength(1);
    rw.close();
  });

  it('does nothing without RUNWARDEN_EVENTS', () => {
    const rw = reporter({});
    rw.progress({ percent: 5 });
    rw.metric('loss', 1);
    expect(rw).toMatchObject({ enabled: false, writeErrors: 0 });
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
