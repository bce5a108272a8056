// A fresh project outside the checkout with runwarden installed from its packed tarball, as a
// user gets it: `npm pack`, then `npm ci --offline` from a lockfile naming the tarball and the
// checkout's locked versions of runwarden's dependencies, so npm takes every package from its
// cache by integrity and never touches the network (--offline fails instead of fetching).
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  license: string;
  dependencies: Record<string, string>;
  bin: Record<string, string>;
  engines: Record<string, string>;
};
export const version = manifest.version;

/** Type packages the project's own TypeScript files need (a user's project has them too). */
const devTypes = ['@types/node', 'undici-types'];

interface LockEntry {
  readonly dev?: boolean;
  readonly link?: boolean;
  readonly version?: string;
}

/** Run a command to completion (bounded); throws with its output when it fails. */
export function must(
  file: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
) {
  const result: SpawnSyncReturns<string> = spawnSync(file, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: 'utf8',
    timeout: 180_000,
  });
  if (result.status !== 0)
    throw new Error(`${file} ${args.join(' ')} exited ${result.status}: ${result.stderr}${result.stdout}`);
  return result;
}

/** The packed tarball, written into `dir` (dist/ is built by test/global-setup.ts). */
export function pack(dir: string): string {
  // --ignore-scripts: prepack would rebuild dist/cli under CLI tests running meanwhile.
  const packed = must('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], {
    cwd: repoRoot,
  });
  return join(dir, packed.stdout.trim().split('\n').at(-1) ?? '');
}

/** The lockfile of a project that depends on the tarball `tgzName` only. */
function lockfileFor(tgzName: string): object {
  const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const spec = `file:${tgzName}`;
  const packages: Record<string, unknown> = {
    '': { name: 'rw-user-project', dependencies: { runwarden: spec }, devDependencies: devTypesSpec(lock) },
    'node_modules/runwarden': {
      version: manifest.version,
      resolved: spec,
      license: manifest.license,
      dependencies: manifest.dependencies,
      bin: manifest.bin,
      engines: manifest.engines,
    },
  };
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (!key.startsWith('node_modules/') || entry.link === true) continue;
    const top = key.slice('node_modules/'.length);
    if (entry.dev !== true) packages[key] = entry;
    else if (devTypes.includes(top)) packages[key] = { ...entry, dev: true };
  }
  return { name: 'rw-user-project', lockfileVersion: 3, requires: true, packages };
}

function devTypesSpec(lock: { packages: Record<string, LockEntry> }): Record<string, string> {
  const at = lock.packages['node_modules/@types/node']?.version ?? '*';
  return { '@types/node': at };
}

/** A new project directory under the system temp dir with the tarball installed; returns it. */
export function installedProject(tgz: string): { dir: string; installMs: number } {
  const dir = mkdtempSync(join(tmpdir(), 'rw-user-project-'));
  const tgzName = tgz.slice(dirname(tgz).length + 1);
  copyFileSync(tgz, join(dir, tgzName));
  const project = {
    name: 'rw-user-project',
    private: true,
    type: 'module',
    dependencies: { runwarden: `file:${tgzName}` },
    devDependencies: devTypesSpec(
      JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as {
        packages: Record<string, LockEntry>;
      },
    ),
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(project, null, 2)}\n`);
  writeFileSync(join(dir, 'package-lock.json'), `${JSON.stringify(lockfileFor(tgzName), null, 1)}\n`);
  const started = Date.now();
  must('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir });
  return { dir, installMs: Date.now() - started };
}

/** The TypeScript compiler of the checkout (the project's own files are checked with it). */
export const tscPath = join(
  dirname(fileURLToPath(import.meta.resolve('typescript/package.json'))),
  'bin/tsc',
);
