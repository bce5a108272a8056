// Proves readExitRecord reads the monitor's record tolerantly — missing is null, damage is a coded
// error naming the file, never an exception — using real files in a temp dir.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readExitRecord } from '../../../../runtime/local/monitor/exit-record.ts';

let runDir: string;

beforeEach(() => {
  runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rw-exit-record-'));
});

afterEach(() => {
  fs.rmSync(runDir, { recursive: true, force: true });
});

/** The fields a record from an older monitor lacks, as the reader fills them in. */
const older = { containment: null, leftovers: null, delayedBy: null, delayMs: null };

// Write `text` as the run's exit.json.
function writeRecord(text: string): void {
  fs.writeFileSync(path.join(runDir, 'exit.json'), text);
}

describe('readExitRecord', () => {
  it('returns null when the job has not ended yet', () => {
    expect(readExitRecord(runDir)).toEqual({ ok: true, value: null });
  });

  it('reads a record written by the monitor', () => {
    writeRecord('{"code":3,"signal":null,"endedAt":1732300000123,"notStarted":false,"execError":null}\n');
    expect(readExitRecord(runDir)).toEqual({
      ok: true,
      value: { code: 3, signal: null, endedAt: 1732300000123, notStarted: false, execError: null, ...older },
    });
  });

  it('reads the containment used and what delayed the record', () => {
    writeRecord(
      '{"code":0,"signal":null,"endedAt":7,"notStarted":false,"execError":null,"containment":"cgroup","leftovers":0,"delayedBy":"ENOSPC","delayMs":1234}\n',
    );
    expect(readExitRecord(runDir)).toEqual({
      ok: true,
      value: {
        code: 0,
        signal: null,
        endedAt: 7,
        notStarted: false,
        execError: null,
        containment: 'cgroup',
        leftovers: 0,
        delayedBy: 'ENOSPC',
        delayMs: 1234,
      },
    });
  });

  it('reads a death by signal and fills in optional fields an older record lacks', () => {
    writeRecord('{"code":null,"signal":"SIGKILL","endedAt":5}');
    expect(readExitRecord(runDir)).toEqual({
      ok: true,
      value: { code: null, signal: 'SIGKILL', endedAt: 5, notStarted: false, execError: null, ...older },
    });
  });

  it.each([
    ['a torn write', '{"code":3,"sig'],
    ['an empty file', ''],
    ['a wrong shape', '{"code":"3","signal":null,"endedAt":1}'],
    ['neither code nor signal', '{"code":null,"signal":null,"endedAt":1}'],
    ['a missing end time', '{"code":0,"signal":null}'],
  ])('reports %s as RW_EXIT_RECORD_CORRUPT naming the file', (_label, text) => {
    writeRecord(text);
    const read = readExitRecord(runDir);
    expect(read.ok).toBe(false);
    if (read.ok) return;
    expect(read.error.code).toBe('RW_EXIT_RECORD_CORRUPT');
    expect(read.error.message).toContain(path.join(runDir, 'exit.json'));
  });

  it('reports an exit.json it cannot read as RW_EXIT_RECORD_UNREADABLE instead of throwing', () => {
    fs.mkdirSync(path.join(runDir, 'exit.json'));
    const read = readExitRecord(runDir);
    expect(read.ok ? null : read.error.code).toBe('RW_EXIT_RECORD_UNREADABLE');
  });

  it('refuses a FIFO at exit.json at once (the job can plant one), naming the file', () => {
    execFileSync('mkfifo', [path.join(runDir, 'exit.json')]);
    const read = readExitRecord(runDir);
    expect(read.ok ? null : read.error.message).toMatch(/exit\.json.*RW_NOT_REGULAR.*FIFO/);
  });

  it('never follows a symlinked exit.json or a run directory that links out of the workspace', () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'rw-exit-outside-'));
    try {
      fs.writeFileSync(path.join(outside, 'exit.json'), '{"code":0,"signal":null,"endedAt":1}');
      fs.symlinkSync(path.join(outside, 'exit.json'), path.join(runDir, 'exit.json'));
      const viaFile = readExitRecord(runDir);
      expect(viaFile.ok ? null : viaFile.error.message).toContain('RW_PATH_ESCAPE');
      const linkedRun = path.join(runDir, 'run-2');
      fs.symlinkSync(outside, linkedRun);
      const viaDir = readExitRecord(linkedRun);
      expect(viaDir.ok ? null : viaDir.error.message).toContain('RW_PATH_ESCAPE');
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });
});
