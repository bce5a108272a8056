// Test support: a tiny tmpfs (512 KiB) for one test file or describe block (root only: mounting
// needs CAP_SYS_ADMIN), with scenes whose workspaces live on it and helpers to fill it. Every scene
// is ended after each test (nothing left running) and the filler removed; the mount goes after all.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { Scene } from './scene.ts';

const isRoot = process.getuid?.() === 0;

/** The tmpfs of a block of tests. Read `dir` inside a test. */
export interface Tmpfs {
  readonly dir: string;
  /** A scene whose workspace is `name` on the tmpfs, or a skip saying why there is no tmpfs. */
  scene(name: string, skip: (why: string) => void): Scene;
  /** Fill the tmpfs until a write fails with ENOSPC (also while a job writes meanwhile). */
  fillUp(): void;
  /** Fill it so that exactly `freeBytes` (a multiple of its 4 KiB pages) stay free. */
  leaveFree(freeBytes: number): void;
  /** Give back the space taken by `fillUp` or `leaveFree`. */
  free(): void;
}

/** Register the hooks that mount, clean after each test and unmount a tmpfs named `prefix…`. */
export function useTmpfs(prefix: string): Tmpfs {
  let dir = '';
  let mountError: string | null = null;
  let scene: Scene | null = null;
  const filler = () => path.join(dir, 'filler');
  beforeAll(() => {
    if (!isRoot) return;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', dir], { stdio: 'pipe' });
    } catch (error) {
      mountError = error instanceof Error ? error.message : String(error);
    }
  });
  afterEach(async () => {
    if (dir !== '') fs.rmSync(filler(), { force: true });
    if (scene !== null) expect(await scene.end()).toEqual([]);
    scene = null;
  });
  afterAll(() => {
    if (dir === '') return;
    if (mountError === null) execFileSync('umount', [dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return dir;
    },
    scene(name, skip) {
      if (mountError !== null) skip(`cannot mount a tmpfs here: ${mountError}`);
      scene = new Scene(path.join(dir, name));
      return scene;
    },
    fillUp() {
      const fd = fs.openSync(filler(), 'a');
      const block = Buffer.alloc(4096, 1);
      try {
        for (let i = 0; i < 1_024; i++) {
          if (fs.writeSync(fd, block) < block.length) return;
        }
        throw new Error(`the tmpfs at ${dir} did not fill up`);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      } finally {
        fs.closeSync(fd);
      }
    },
    leaveFree(freeBytes) {
      const { bavail, bsize } = fs.statfsSync(dir);
      const fill = bavail * bsize - freeBytes;
      if (fill <= 0) throw new Error(`the tmpfs at ${dir} has less than ${freeBytes} bytes free`);
      fs.writeFileSync(filler(), Buffer.alloc(fill));
      const after = fs.statfsSync(dir);
      expect(after.bavail * after.bsize).toBe(freeBytes);
    },
    free() {
      fs.rmSync(filler(), { force: true });
    },
  };
}
