// Proves --log-max (issue 17): under rw-monitor a capped log keeps its head and its newest bytes
// within the cap, counts what it dropped in a marker line and the .cap sidecar, lets the job run
// to its end, and LogTail follows it while bytes are dropped — in both ways the monitor caps (holes
// punched in the file the job writes directly; a pipe it drains) — real jobs writing megabytes.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  logCapMarkerBytes,
  offsetAfterCompaction,
  outputIndexOf,
  readLogCap,
  writeLogMax,
} from '../../../../runtime/local/log-cap-layout.ts';
import { LogTail } from '../../../../runtime/progress/log-tail.ts';
import { launchTracked, useRunSandbox, waitForExitRecord } from './run-setup.ts';

const sandbox = useRunSandbox();
afterEach(() => {
  delete process.env.RUNWARDEN_LOG_CAP; // the monitor inherits it (see launchTracked)
});
const capBytes = 256 * 1024;

// What the fixture job prints: `line N` for N < count, to stdout; one line to stderr.
function expectedOutput(count: number): Buffer {
  return Buffer.from(Array.from({ length: count }, (_, i) => `line ${i}\n`).join(''));
}

function pythonJob(count: number, sleepEvery = 0): string[] {
  const pause =
    sleepEvery > 0 ? `\n    if i % ${sleepEvery} == 0: sys.stdout.flush(); time.sleep(0.002)` : '';
  return [
    'python3',
    '-c',
    `import sys, time\nfor i in range(${count}):\n    sys.stdout.write('line %d\\n' % i)${pause}\nprint('to stderr', file=sys.stderr)\n`,
  ];
}

async function capAndRun(argv: string[]): Promise<{ runDir: string; out: Buffer }> {
  const { runDir, tracker } = sandbox.current();
  const logs = [path.join(runDir, 'out.log'), path.join(runDir, 'err.log')];
  expect(writeLogMax(runDir, runDir, capBytes, logs)).toEqual({ ok: true, value: null });
  const job = await launchTracked(tracker, runDir, argv);
  expect(await job.release()).toEqual({ ok: true, value: null });
  return { runDir, out: Buffer.alloc(0) };
}

describe.each(['holes', 'pipe'])('rw-monitor with a log cap (%s)', (mode) => {
  const useMode = () => {
    process.env.RUNWARDEN_LOG_CAP = mode;
  };
  it('keeps the head and the newest bytes within the cap, and the marker counts exactly what was dropped', async () => {
    useMode();
    const count = 200_000; // ~2.3 MB: about nine caps' worth
    const { runDir } = await capAndRun(pythonJob(count));
    const record = await waitForExitRecord(runDir);
    expect(record).toMatchObject({ code: 0, signal: null }); // no SIGPIPE, no block: it ran to its end
    const full = expectedOutput(count);
    const log = fs.readFileSync(path.join(runDir, 'out.log'));
    // Disk use within the cap (holes: the apparent size is the whole output, the blocks are not).
    expect(fs.statSync(path.join(runDir, 'out.log')).blocks * 512).toBeLessThanOrEqual(capBytes);
    if (mode === 'holes') expect(log.length).toBe(full.length);
    else expect(log.length).toBeLessThanOrEqual(capBytes);
    const layout = readLogCap(runDir, path.join(runDir, 'out.log'));
    if (layout === null) throw new Error('no out.log.cap sidecar');
    expect(layout.generation % 2).toBe(0);
    expect(layout.headBytes).toBeGreaterThan(0);
    // The head is the output's first bytes, cut at a line end; the body is its last bytes.
    expect(log.subarray(0, layout.headBytes).equals(full.subarray(0, layout.headBytes))).toBe(true);
    expect(log[layout.headBytes - 1]).toBe(0x0a);
    const body = log.subarray(layout.bodyOffset);
    expect(full.subarray(full.length - body.length).equals(body)).toBe(true);
    expect(layout.headBytes + layout.droppedBytes + body.length).toBe(full.length);
    const marker = log.subarray(layout.headBytes, layout.headBytes + logCapMarkerBytes).toString();
    expect(marker).toMatch(
      new RegExp(
        `^\\[runwarden: 0*${layout.droppedBytes} bytes dropped here by --log-max ${capBytes}\\] *\\n$`,
      ),
    );
    expect(outputIndexOf(layout.bodyOffset, layout)).toBe(full.length - body.length);
    // The uncapped side: stderr was small, nothing dropped, written whole.
    expect(fs.readFileSync(path.join(runDir, 'err.log'), 'utf8')).toBe('to stderr\n');
    expect(readLogCap(runDir, path.join(runDir, 'err.log'))?.droppedBytes).toBe(0);
  });

  it('gives the job the log files as fds 1 and 2 with holes, pipes otherwise (no cap: launch.test.ts)', async () => {
    useMode();
    const { runDir, tracker } = sandbox.current();
    const logs = [path.join(runDir, 'out.log'), path.join(runDir, 'err.log')];
    expect(writeLogMax(runDir, runDir, capBytes, logs).ok).toBe(true);
    const job = await launchTracked(tracker, runDir, [
      'sh',
      '-c',
      'readlink /proc/self/fd/1; readlink /proc/self/fd/2 >&2',
    ]);
    expect((await job.release()).ok).toBe(true);
    expect(await waitForExitRecord(runDir)).toMatchObject({ code: 0 });
    const pipe = /^pipe:\[\d+\]\n$/;
    const fd1 = fs.readFileSync(path.join(runDir, 'out.log'), 'utf8');
    const fd2 = fs.readFileSync(path.join(runDir, 'err.log'), 'utf8');
    if (mode === 'holes') expect([fd1, fd2]).toEqual([`${logs[0]}\n`, `${logs[1]}\n`]);
    else expect([pipe.test(fd1), pipe.test(fd2)]).toEqual([true, true]);
  });

  it('lets a LogTail follow the log while bytes are dropped: every line it hands over is whole and in order, to the last', async () => {
    useMode();
    const count = 120_000;
    const { runDir } = await capAndRun(pythonJob(count, 500));
    const tail = new LogTail(runDir, path.join(runDir, 'out.log'), { readBytesMax: 64 * 1024 });
    let last = -1;
    let lines = 0;
    const onSegment = (segment: { text: string }) => {
      if (segment.text.startsWith('[runwarden: ')) return; // the marker line
      const match = /^line (\d+)$/.exec(segment.text);
      if (match === null) throw new Error(`a torn or foreign line: ${JSON.stringify(segment.text)}`);
      const n = Number(match[1]);
      if (n <= last) throw new Error(`line ${n} after line ${last}: out of order`);
      last = n;
      lines += 1;
    };
    const poll = () => {
      for (;;) {
        const read = tail.read(onSegment);
        if (!read.ok) throw new Error(read.error.message);
        if (!read.value.more) return;
      }
    };
    // Follow (bounded: the job ends on its own) until the exit record exists, then read the rest.
    const deadline = Date.now() + 60_000;
    while (!fs.existsSync(path.join(runDir, 'exit.json')) && Date.now() < deadline) {
      poll();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await waitForExitRecord(runDir);
    poll();
    expect(last).toBe(count - 1);
    expect(lines).toBeGreaterThan(1000);
    const layout = readLogCap(runDir, path.join(runDir, 'out.log'));
    expect(layout?.droppedBytes).toBeGreaterThan(0);
  });
});

describe('offsetAfterCompaction', () => {
  const first = { generation: 2, headBytes: 100, bodyOffset: 228, droppedBytes: 1000, maxBytes: 1000 };
  it('keeps a reader inside the head where it was', () => {
    expect(offsetAfterCompaction(50, null, first)).toEqual({ offset: 50, droppedUnread: 0 });
  });
  it('moves a reader past the dropped bytes to the same byte of output, or to the newest part', () => {
    // Uncut before: offset 1500 is output byte 1500; the newest part starts at output 1100.
    expect(offsetAfterCompaction(1500, null, first)).toEqual({ offset: 228 + 400, droppedUnread: 0 });
    expect(offsetAfterCompaction(600, null, first)).toEqual({ offset: 228, droppedUnread: 500 });
    const second = { ...first, generation: 4, droppedBytes: 1500 };
    // Physical 428 under `first` is output 1300; under `second` the body starts at output 1600.
    expect(offsetAfterCompaction(428, first, second)).toEqual({ offset: 228, droppedUnread: 300 });
    expect(offsetAfterCompaction(900, first, second)).toEqual({ offset: 228 + 172, droppedUnread: 0 });
  });
});
