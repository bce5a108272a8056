// Proves the progress checkpoint is only a cache: a follower that resumes from it gives exactly
// the view of the follower that saved it, had that one read on (random run directories: events with bad, invalid, torn
// and non-finite lines; logs with tqdm bars redrawn with '\r', metric and checkpoint lines), it
// reads only the bytes appended since, and a checkpoint that no longer matches its files (shrunk,
// replaced, another version, corrupt, other limits) is ignored for a full read.
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkpointFile } from '../../../runtime/progress/progress-checkpoint.ts';
import { RunFollower, type RunFollowerOptions } from '../../../runtime/progress/run-follower.ts';
import type { ProgressState } from '../../../runtime/progress/run-view.ts';

let base: string;
let runDir: string;
const t = '2025-01-01T00:00:00.000Z';
const nowMs = () => Date.parse('2025-01-02T00:00:00.000Z');

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'rw-ckpt-'));
  runDir = join(base, 'run');
  freshRunDir();
});

afterEach(() => {
  rmSync(base, { recursive: true, force: true });
});

/** A fresh, empty run directory (fast-check runs many cases in one test). */
function freshRunDir(): void {
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir);
}

type File = 'events.ndjson' | 'stdout.log' | 'stderr.log';
interface Piece {
  readonly file: File;
  readonly text: string;
}

const eventPiece = fc.oneof(
  fc
    .record({ phase: fc.constantFrom('load', 'train', 'eval'), step: fc.nat(1000), total: fc.constant(1000) })
    .map((r) => `${JSON.stringify({ t, kind: 'progress', ...r })}\n`),
  fc
    .record({
      name: fc.constantFrom('loss', 'acc', 'lr'),
      value: fc.oneof(
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.constantFrom('NaN', 'Infinity'),
      ),
      step: fc.nat(1000),
    })
    .map((r) => `${JSON.stringify({ t, kind: 'metric', ...r })}\n`),
  fc.string({ maxLength: 20 }).map((message) => `${JSON.stringify({ t, kind: 'info', message })}\n`),
  fc.constant(`${JSON.stringify({ t, kind: 'error', message: 'boom' })}\n`),
  fc.constant('{not json\n'),
  fc.constant(`${JSON.stringify({ t, kind: 'metric', name: 'loss' })}\n`),
  fc.constant(`{"t":"${t}","kind":"heart`), // a torn line, completed (or not) by what follows
);
const bar = (label: string, n: number, total: number) =>
  `${label}: ${Math.floor((100 * n) / total)}%|#   | ${n}/${total} [00:01<00:01,  2.00it/s]`;
const logPiece = fc.oneof(
  fc
    .tuple(fc.constantFrom('Epoch 1', 'Eval'), fc.nat(10), fc.constantFrom('\r', '\n', ''))
    .map(([label, n, end]) => `${bar(label, n, 10)}${end}`),
  fc
    .tuple(fc.double({ min: 0, max: 5, noNaN: true }), fc.nat(100))
    .map(([loss, step]) => `{'loss': ${loss}, 'global_step': ${step}}\n`),
  fc.nat(50).map((step) => `Saving model checkpoint to out/checkpoint-${step}\n`),
  fc.string({ maxLength: 30 }),
  fc.constant('\n'),
);
const piece: fc.Arbitrary<Piece> = fc.oneof(
  eventPiece.map((text) => ({ file: 'events.ndjson' as const, text })),
  logPiece.map((text) => ({ file: 'stdout.log' as const, text })),
  logPiece.map((text) => ({ file: 'stderr.log' as const, text })),
);

function write(pieces: readonly Piece[]): void {
  for (const p of pieces) appendFileSync(join(runDir, p.file), p.text);
}

/** Small batches so a checkpoint lands mid-way through the files too. */
const small: RunFollowerOptions = { nowMs, readBytesMax: 256, pollBytesMax: 1024, segmentBytesMax: 200 };

function readAll(follower: RunFollower, final: boolean): ProgressState {
  let state = follower.poll({ final });
  for (let i = 0; i < 10_000 && !follower.caughtUp; i += 1) state = follower.poll({ final });
  return state;
}

/** The view as JSON (NaN kept apart from null), for deep comparison. */
const printed = (state: ProgressState) =>
  JSON.stringify(state, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? `#${v}` : v));

describe('progress checkpoint', () => {
  it('a follower resuming from a checkpoint saved at any point gives the view its saver would have', () => {
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 60 }),
        fc.array(piece, { maxLength: 60 }),
        fc.boolean(),
        fc.boolean(),
        (before, after, midway, final) => {
          freshRunDir();
          write(before);
          const first = new RunFollower(runDir, {
            ...small,
            checkpointMinBytes: 0, // saves at the end of every catch-up: the state is exactly its positions'
            checkpointEveryBytes: 300,
          });
          if (midway) first.poll();
          else readAll(first, false);
          write(after);
          // The saver, had it gone on reading: what a resumed follower must show. (It can differ
          // from a reader that starts now: an unfinished bar it applied stays applied even if
          // what completes the segment makes it no bar.)
          const resumed = new RunFollower(runDir, small);
          const viewResumed = readAll(resumed, final);
          const viewContinued = readAll(first, final);
          expect(printed(viewResumed)).toBe(printed(viewContinued));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads only the bytes appended since the checkpoint', () => {
    const lines: string[] = [];
    for (let i = 0; i < 50_000; i += 1)
      lines.push(JSON.stringify({ t, kind: 'progress', step: i, total: 60_000 }));
    appendFileSync(join(runDir, 'events.ndjson'), `${lines.join('\n')}\n`);
    // The last bar is still being drawn: no separator after it yet.
    appendFileSync(join(runDir, 'stdout.log'), `${'log line\n'.repeat(200_000)}${bar('Epoch 1', 3, 10)}`);
    const first = new RunFollower(runDir, { nowMs });
    expect(readAll(first, false).counts.events).toBe(50_000);
    const sizeEvents = readFileSync(join(runDir, 'events.ndjson')).length;
    const sizeStdout = readFileSync(join(runDir, 'stdout.log')).length;
    expect(existsSync(join(runDir, checkpointFile))).toBe(true);
    appendFileSync(
      join(runDir, 'events.ndjson'),
      `${JSON.stringify({ t, kind: 'progress', step: 50_000 })}\n`,
    );
    const second = new RunFollower(runDir, { nowMs });
    // Everything but the unfinished bar (read again from its start) is covered.
    expect(second.resumedFromBytes).toBe(sizeEvents + sizeStdout - Buffer.byteLength(bar('Epoch 1', 3, 10)));
    const state = readAll(second, false);
    expect(state).toMatchObject({ step: 50_000, counts: { events: 50_001 } });
    expect(state.lanes.parsed.bar?.step).toBe(3);
  });

  describe('a checkpoint that does not match its files is ignored', () => {
    function saved(): string {
      appendFileSync(
        join(runDir, 'events.ndjson'),
        `${JSON.stringify({ t, kind: 'progress', step: 1 })}\n`.repeat(40_000),
      );
      readAll(new RunFollower(runDir, { nowMs }), false);
      const path = join(runDir, checkpointFile);
      expect(existsSync(path)).toBe(true);
      return path;
    }
    const resumedBytes = () => new RunFollower(runDir, { nowMs }).resumedFromBytes;
    const freshEvents = () => readAll(new RunFollower(runDir, { nowMs }), false).counts.events;

    it('uses a matching one', () => {
      saved();
      expect(resumedBytes()).toBeGreaterThan(1024 * 1024);
    });
    it('the events file shrank', () => {
      saved();
      truncateSync(join(runDir, 'events.ndjson'), 1000);
      expect(resumedBytes()).toBe(0);
      expect(freshEvents()).toBe(
        Math.floor(1000 / Buffer.byteLength(`${JSON.stringify({ t, kind: 'progress', step: 1 })}\n`)),
      );
    });
    it('the events file was replaced by other content of the same size', () => {
      saved();
      const path = join(runDir, 'events.ndjson');
      const other = `${JSON.stringify({ t, kind: 'progress', step: 2 })}\n`.repeat(40_000);
      rmSync(path);
      writeFileSync(path, other);
      expect(resumedBytes()).toBe(0);
      expect(readAll(new RunFollower(runDir, { nowMs }), false).step).toBe(2);
    });
    it('another version, corrupt JSON, a torn file, other limits', () => {
      const path = saved();
      const good = JSON.parse(readFileSync(path, 'utf8'));
      writeFileSync(path, JSON.stringify({ ...good, version: 99 }));
      expect(resumedBytes()).toBe(0);
      writeFileSync(path, JSON.stringify(good).slice(0, 500));
      expect(resumedBytes()).toBe(0);
      writeFileSync(path, '');
      expect(resumedBytes()).toBe(0);
      writeFileSync(path, JSON.stringify({ ...good, state: { ...good.state, counts: 'x' } }));
      expect(resumedBytes()).toBe(0);
      writeFileSync(path, JSON.stringify(good));
      expect(new RunFollower(runDir, { nowMs, lineBytesMax: 4096 }).resumedFromBytes).toBe(0);
      expect(resumedBytes()).toBeGreaterThan(0);
      expect(freshEvents()).toBe(40_000);
    });
  });

  it("'load' and false never write one; NaN and Infinity survive the file", () => {
    appendFileSync(
      join(runDir, 'events.ndjson'),
      `${JSON.stringify({ t, kind: 'metric', name: 'loss', value: 'NaN' })}\n${JSON.stringify({ t, kind: 'metric', name: 'acc', value: 'Infinity' })}\n`.repeat(
        20_000,
      ),
    );
    readAll(new RunFollower(runDir, { nowMs, checkpoint: 'load' }), false);
    readAll(new RunFollower(runDir, { nowMs, checkpoint: false }), false);
    expect(existsSync(join(runDir, checkpointFile))).toBe(false);
    const view = readAll(new RunFollower(runDir, { nowMs }), false);
    const resumed = new RunFollower(runDir, { nowMs, checkpoint: 'load' });
    expect(resumed.resumedFromBytes).toBeGreaterThan(0);
    const again = readAll(resumed, false);
    expect(again.metrics.loss?.value).toBeNaN();
    expect(again.metrics.acc?.value).toBe(Number.POSITIVE_INFINITY);
    expect(printed(again)).toBe(printed(view));
  });
});
