// Proves RunFollower survives bad input (malformed, 10 MB, invalid UTF-8, invalid and half-written
// lines) with warnings that name the line, lets explicit events win over parsed logs, and catches
// up in bounded batches — on real run directories written by the test.
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { progressOfRunDir, RunFollower } from '../../../runtime/progress/run-follower.ts';
import type { ProgressState } from '../../../runtime/progress/run-view.ts';

let runDir: string;
const t = '2025-01-01T00:00:00.000Z';

beforeEach(() => {
  runDir = mkdtempSync(join(tmpdir(), 'rw-follower-'));
});

afterEach(() => {
  rmSync(runDir, { recursive: true, force: true });
});

/** Appends text or bytes to a file of the run directory. */
function append(file: string, data: string | Buffer): void {
  appendFileSync(join(runDir, file), data);
}

/** One events line. */
function line(record: Record<string, unknown>): string {
  return `${JSON.stringify({ t, ...record })}\n`;
}

/** Polls until the follower reached the end of every file (at most `pollsMax` polls). */
function pollUntilCaughtUp(follower: RunFollower, pollsMax = 100): ProgressState {
  let state = follower.poll();
  for (let polls = 1; polls < pollsMax && !follower.caughtUp; polls += 1) state = follower.poll();
  if (!follower.caughtUp) throw new Error(`not caught up after ${pollsMax} polls`);
  return state;
}

describe('RunFollower', () => {
  it('skips malformed, overlong, non-UTF-8 and invalid lines with their line numbers and goes on', () => {
    append('events.ndjson', line({ kind: 'progress', phase: 'train', step: 1, total: 10 }));
    append('events.ndjson', '{not json\n');
    append('events.ndjson', `{"t":"${t}","kind":"info","message":"${'x'.repeat(10 * 1024 * 1024)}"}\n`);
    append('events.ndjson', Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a]));
    append('events.ndjson', line({ kind: 'metric', name: 'loss' }));
    append('events.ndjson', line({ kind: 'metric', name: 'loss', value: 0.5, step: 1 }));
    const follower = new RunFollower(runDir);
    const state = pollUntilCaughtUp(follower);
    expect(state).toMatchObject({ phase: 'train', step: 1, counts: { events: 2 } });
    expect(state.metrics.loss?.value).toBe(0.5);
    expect(state.skipped).toMatchObject({ total: 4, events: 4 });
    expect(state.skipped.warnings.map((w) => [w.source, w.line])).toEqual([
      ['events', 2],
      ['events', 3],
      ['events', 4],
      ['events', 5],
    ]);
    expect(state.skipped.warnings[0]?.reason).toMatch(/not valid JSON/);
    expect(state.skipped.warnings[1]?.reason).toMatch(/longer than 1048576 bytes/);
    expect(state.skipped.warnings[2]?.reason).toBe('not valid UTF-8');
    expect(state.skipped.warnings[3]?.reason).toMatch(/^invalid event: metric: value must be a number/);
    expect(follower.buffers.eventLineBytesPeak).toBeLessThanOrEqual(follower.lineBytesMax);
  });

  it('applies a half-written last line once, when the rest of it arrives', () => {
    append('events.ndjson', line({ kind: 'metric', name: 'loss', value: 1 }));
    append('events.ndjson', `{"t":"${t}","kind":"metric","name":"loss","val`);
    const follower = new RunFollower(runDir);
    expect(follower.poll().metrics.loss?.count).toBe(1);
    expect(follower.poll().metrics.loss?.count).toBe(1);
    append('events.ndjson', 'ue":0.25}\n');
    const state = follower.poll();
    expect(state.metrics.loss).toMatchObject({ count: 2, value: 0.25 });
    expect(state.skipped.total).toBe(0);
  });

  it('counts an unterminated last line only in a final read', () => {
    append('events.ndjson', `${line({ kind: 'heartbeat' })}{"t":"${t}","kind":"info","message":"bye"}`);
    expect(progressOfRunDir(runDir).counts.events).toBe(1);
    expect(progressOfRunDir(runDir, { final: true })).toMatchObject({
      message: 'bye',
      counts: { events: 2 },
    });
  });

  it('skips a 10 MB log line and invalid UTF-8 in the logs without holding them', () => {
    append('stdout.log', 'start\n');
    append('stdout.log', Buffer.alloc(10 * 1024 * 1024, 'y'));
    append('stdout.log', "\n{'loss': 0.5, 'epoch': 1}\n");
    append('stderr.log', Buffer.from([0xff, 0xfe, 0x0d]));
    append('stderr.log', ' 50%|#####     | 5/10 [00:01<00:01,  5.00it/s]');
    const follower = new RunFollower(runDir);
    const state = pollUntilCaughtUp(follower);
    expect(state.skipped.warnings).toEqual([
      {
        source: 'stdout',
        line: 2,
        reason: "a segment longer than 16384 bytes without '\\r' or '\\n'; not parsed",
      },
    ]);
    expect(state).toMatchObject({
      percent: 50,
      progressSource: 'parsed',
      metrics: { loss: { value: 0.5, step: 1 } },
    });
    expect(follower.buffers.logSegmentBytesPeak).toBeLessThanOrEqual(16 * 1024);
  });

  it('shows explicit progress and metrics over what the logs say', () => {
    append('stderr.log', '\r 90%|█████████ | 90/100 [00:09<00:01, 10.00it/s]');
    append('stdout.log', "{'loss': 9.0, 'grad_norm': 2.0, 'epoch': 1.0}\n");
    append('events.ndjson', line({ kind: 'progress', step: 3, total: 10 }));
    append('events.ndjson', line({ kind: 'metric', name: 'loss', value: 0.3, step: 3 }));
    const state = progressOfRunDir(runDir);
    expect(state).toMatchObject({ percent: 30, step: 3, total: 10, progressSource: 'explicit' });
    expect(state.metrics.loss).toMatchObject({ source: 'explicit', value: 0.3 });
    expect(state.metrics.grad_norm).toMatchObject({ source: 'parsed', value: 2 });
    expect(state.lanes.parsed.counters).toMatchObject({ percent: 90 });
  });

  it('applies the bar tqdm is drawing right now once, even when it completes later', () => {
    append('stderr.log', '\r 10%|#         | 1/10 [00:01<00:09,  1.00it/s]');
    const follower = new RunFollower(runDir);
    expect(follower.poll()).toMatchObject({ percent: 10, counts: { parsed: 1 } });
    append('stderr.log', '   \r 20%|##        | 2/10 [00:02<00:08,  1.00it/s]');
    expect(follower.poll()).toMatchObject({ percent: 20, counts: { parsed: 2 } });
    expect(follower.poll({ final: true })).toMatchObject({ percent: 20, counts: { parsed: 2 } });
  });

  it('reads a large backlog in bounded batches and ends with the view of a single read', () => {
    for (let batch = 0; batch < 20; batch += 1) {
      const lines = Array.from({ length: 5000 }, (_, i) =>
        line({ kind: 'metric', name: 'loss', value: 1 / (batch * 5000 + i + 1), step: batch * 5000 + i + 1 }),
      );
      append('events.ndjson', lines.join(''));
    }
    const follower = new RunFollower(runDir, { pollBytesMax: 1024 * 1024 });
    let state = follower.poll();
    expect(follower.caughtUp).toBe(false);
    let polls = 1;
    // The backlog is about 8 MB: 1 MiB per poll needs about 8 polls.
    for (; polls < 50 && !follower.caughtUp; polls += 1) state = follower.poll();
    expect(polls).toBeGreaterThan(2);
    expect(state).toEqual(progressOfRunDir(runDir));
    expect(state.metrics.loss).toMatchObject({ count: 100_000, value: 1 / 100_000 });
  });

  it('reports an unreadable file once, reads missing ones as empty, and never throws', () => {
    mkdirSync(join(runDir, 'events.ndjson'));
    const follower = new RunFollower(runDir);
    follower.poll();
    const state = follower.poll();
    expect(state.skipped.warnings).toEqual([
      {
        source: 'events',
        line: 0,
        reason: expect.stringMatching(/events\.ndjson is a directory, not a regular file/),
      },
    ]);
    expect(state.counts.events).toBe(0);
    expect(new RunFollower(join(runDir, 'missing-dir')).poll().skipped.total).toBe(0);
  });

  it('refuses a size option that is not a positive integer, naming it', () => {
    expect(() => new RunFollower(runDir, { pollBytesMax: 0 })).toThrow(
      'RunFollower option pollBytesMax must be a positive integer, got 0',
    );
    expect(() => new RunFollower(runDir, { segmentBytesMax: 1.5 })).toThrow(
      'LogTail option segmentBytesMax must be a positive integer, got 1.5',
    );
  });
});
