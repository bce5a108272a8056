// Proves the Node and Python job helpers: real jobs reporting a training run give the view they
// reported, and both are no-ops without RUNWARDEN_EVENTS and never raise when it cannot be written.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizeEvent } from '../../runtime/progress/events.ts';
import { progressOfRunDir } from '../../runtime/progress/run-follower.ts';
import { useSandbox } from '../helpers/sandbox.ts';
import { fixture, jobRunner, makeRunDir } from '../runtime/progress/job-process.ts';

const sandbox = useSandbox(jobRunner, makeRunDir);

/** The JSON line the fixture prints last on stdout. */
function jobSummary(): { enabled: boolean; writeErrors: number } {
  const lines = fs.readFileSync(path.join(sandbox.current().runDir, 'stdout.log'), 'utf8').trim().split('\n');
  return JSON.parse(lines.at(-1) ?? '{}');
}

const helpers = [
  { language: 'Node', argv: () => [process.execPath, fixture('reporter-job.ts')] },
  { language: 'Python', argv: () => ['python3', fixture('reporter-job.py')] },
];

describe.each(helpers)('the $language helper', ({ argv }) => {
  it('reports phases, progress, metrics, checkpoints and errors that the follower shows', async () => {
    expect(await sandbox.current().tracker.start(sandbox.current().runDir, argv()).exited).toBe(0);
    expect(jobSummary()).toEqual({ enabled: true, writeErrors: 0 });
    const state = progressOfRunDir(sandbox.current().runDir, { final: true });
    expect(state).toMatchObject({
      phase: 'train',
      phasesDone: ['download', 'prepare'],
      step: 50,
      total: 100,
      percent: 50,
      progressSource: 'explicit',
      message: 'halfway there',
      lastCheckpoint: { path: 'ckpt/step-50.pt', step: 50 },
      lastError: { message: 'loss spiked', traceback: expect.stringMatching(/ValueError: spike$/) },
      counts: {
        events: 114,
        progress: 55,
        metric: 51,
        checkpoint: 5,
        heartbeat: 1,
        info: 1,
        error: 1,
        unknown: 0,
      },
      skipped: { total: 0 },
    });
    expect(state.metrics.loss).toMatchObject({ source: 'explicit', count: 50, value: 1 / 50, step: 50 });
    expect(state.metrics.loss?.points).toHaveLength(50);
    expect(state.metrics.accuracy?.value).toBeNaN();
    expect(state.lastEventAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('writes one complete JSON line per event and keeps extra fields', async () => {
    expect(await sandbox.current().tracker.start(sandbox.current().runDir, argv()).exited).toBe(0);
    const lines = fs.readFileSync(path.join(sandbox.current().runDir, 'events.ndjson'), 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(114);
    const last = normalizeEvent(JSON.parse(lines.at(-1) ?? '{}'));
    expect(last.ok && last.event).toMatchObject({ kind: 'progress', step: 50, extra: { gpu_mem_mb: 1234 } });
  });

  it('does nothing when not run under runwarden', async () => {
    expect(
      await sandbox.current().tracker.start(sandbox.current().runDir, argv(), { withoutEvents: true }).exited,
    ).toBe(0);
    expect(jobSummary()).toEqual({ enabled: false, writeErrors: 0 });
    expect(fs.readdirSync(sandbox.current().runDir).sort()).toEqual(['stderr.log', 'stdout.log']);
  });

  it('counts failed writes instead of raising when the events file cannot be written', async () => {
    const events = path.join(sandbox.current().runDir, 'no-such-dir', 'events.ndjson');
    expect(
      await sandbox
        .current()
        .tracker.start(sandbox.current().runDir, argv(), { env: { RUNWARDEN_EVENTS: events } }).exited,
    ).toBe(0);
    expect(jobSummary()).toEqual({ enabled: true, writeErrors: 114 });
    expect(fs.readFileSync(path.join(sandbox.current().runDir, 'stderr.log'), 'utf8')).toBe('');
  });
});
