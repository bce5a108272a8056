// Proves createFileExclusive has exactly one winner: 8 real node processes, released together by a
// barrier on their stdin, race to create the same file in a fresh temp dir.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFileExclusive } from '../../../runtime/fs/atomic-write.ts';
import { endNodeChildren, moduleUrl, startNodeChild, waitFor } from './node-child.ts';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rw-excl-'));
});

afterEach(async () => {
  await endNodeChildren();
  rmSync(dir, { recursive: true, force: true });
});

const racer = `
  import { createFileExclusive } from '${moduleUrl('runtime/fs/create-exclusive.ts')}';
  console.log('ready');
  process.stdin.once('data', () => {
    const result = createFileExclusive(process.env.TARGET.slice(0, process.env.TARGET.lastIndexOf("/")), process.env.TARGET, JSON.stringify({ racer: process.env.RACER }));
    console.log(JSON.stringify(result));
    process.exit(0);
  });`;

describe('createFileExclusive', () => {
  it('creates a missing file and says created', () => {
    const path = join(dir, 'run.lock');
    expect(createFileExclusive(dir, path, 'mine')).toEqual({ ok: true, value: 'created' });
    expect(readFileSync(path, 'utf8')).toBe('mine');
  });

  it('says exists and leaves the existing file untouched', () => {
    const path = join(dir, 'run.lock');
    writeFileSync(path, 'theirs');
    expect(createFileExclusive(dir, path, 'mine')).toEqual({ ok: true, value: 'exists' });
    expect(readFileSync(path, 'utf8')).toBe('theirs');
  });

  it('fails with RW_WRITE_FAILED naming the path when the directory is missing', () => {
    const path = join(dir, 'missing', 'run.lock');
    const result = createFileExclusive(dir, path, 'mine');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('RW_WRITE_FAILED');
    expect(result.error.message).toContain(`creating ${path}: ENOENT`);
  });

  it('lets exactly one of 8 racing processes create the file, with its complete content', async () => {
    const path = join(dir, 'run.lock');
    const racers = Array.from({ length: 8 }, (_, index) =>
      startNodeChild(racer, { env: { TARGET: path, RACER: String(index) } }),
    );
    await waitFor('all racers ready', () => racers.every((child) => child.lines[0] === 'ready'));
    for (const child of racers) child.process.stdin?.write('go\n');
    expect(await Promise.all(racers.map((child) => child.exited))).toEqual(Array(8).fill(0));
    const results = racers.map((child) => child.lines[1]);
    const winners = results.flatMap((line, index) =>
      line === '{"ok":true,"value":"created"}' ? [index] : [],
    );
    expect(winners).toHaveLength(1);
    expect(results.filter((line) => line === '{"ok":true,"value":"exists"}')).toHaveLength(7);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ racer: String(winners[0]) });
    expect(readdirSync(dir)).toEqual(['run.lock']);
  });
});
