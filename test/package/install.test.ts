// Proves runwarden works installed like any npm package: packed, installed offline into a fresh
// project outside the checkout, its CLI run from node_modules/.bin, its library imported from
// plain JS and strict TypeScript (type-checked with moduleResolution nodenext and bundler), its
// Fastify plugin mounted under a prefix, and its monitor compiled on first use — on Node 24, and
// on Node 22 when RW_TEST_NODE22 names a Node 22 binary.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activePids, alive, killAll } from '../shells/cli/run-cli.ts';
import { installedProject, pack, repoRoot, tscPath, version } from './installed-project.ts';

const node22 = process.env.RW_TEST_NODE22 ?? '';
if (node22 === '')
  console.warn('test/package: Node 22 runs left out; set RW_TEST_NODE22 to a Node 22 binary');
let dir = '';
let scratch = '';
let tgzPath = '';

/** PATH with only the given node first: no cc, no checkout's node_modules/.bin. */
function envWith(nodeBin: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: `${dirname(nodeBin)}:/usr/local/bin:/usr/bin:/bin`,
    HOME: join(scratch, 'home'),
    XDG_CACHE_HOME: join(scratch, 'home', '.cache'),
    NO_COLOR: '1',
    ...extra,
  };
}

/** Run in the project, bounded; returns code and output. */
function inProject(file: string, args: readonly string[], env: NodeJS.ProcessEnv) {
  const result = spawnSync(file, args, { cwd: dir, env, encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'rw-pack-'));
  mkdirSync(join(scratch, 'home'));
  const tgz = pack(scratch);
  tgzPath = tgz;
  dir = installedProject(tgz).dir;
  cpSync(join(repoRoot, 'test/package/project'), dir, { recursive: true });
}, 300_000);

afterAll(async () => {
  const workspaces = existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith('runs')) : [];
  const pids = workspaces.flatMap((ws) => activePids(join(dir, ws)));
  await killAll(pids);
  expect(pids.filter(alive)).toEqual([]);
  rmSync(scratch, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

// Bounds sized for a loaded 2-core machine: npm and tsc each take seconds to tens of seconds here.
describe('the packed tarball installed into a fresh project', { timeout: 240_000 }, () => {
  it('ships built JavaScript and declarations, not TypeScript sources to strip', () => {
    const pkg = join(dir, 'node_modules/runwarden');
    for (const file of [
      'dist/lib/shells/api/index.js',
      'dist/lib/shells/api/index.d.ts',
      'dist/lib/shells/job/reporter.d.ts',
      'dist/lib/shells/http/plugin.d.ts',
      'dist/lib/runtime/local/monitor/rw-monitor.c',
      'dist/lib/shells/http/dashboard/index.html',
      'dist/cli/main.js',
    ])
      expect({ file, present: existsSync(join(pkg, file)) }).toEqual({ file, present: true });
    expect(existsSync(join(pkg, 'shells/api/index.ts'))).toBe(false);
  });

  it('says what a missing C compiler needs in one line when the monitor is first built', () => {
    // Only a node on PATH: no cc. The monitor is not yet built (nothing has started a run).
    const env = { ...envWith(process.execPath), PATH: dirname(process.execPath) };
    const result = inProject('node_modules/.bin/runwarden', ['start', '--', 'true'], {
      ...env,
      RUNWARDEN_WORKSPACE: 'runs-nocc',
    });
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/RW_MONITOR_BUILD_FAILED|could not compile/);
    expect(lines[0]).toContain('install a C compiler (apt-get install gcc)');
  });

  it('runs runwarden --version from node_modules/.bin', () => {
    const result = inProject('node_modules/.bin/runwarden', ['--version'], envWith(process.execPath));
    expect({ code: result.code, out: result.stdout.trim() }).toEqual({ code: 0, out: version });
  });

  it("runs start --watch and exits with the job's code (3), building the monitor on first use", () => {
    const result = inProject(
      'node_modules/.bin/runwarden',
      ['start', '--watch', '--', 'node', '-e', 'process.exit(3)'],
      { ...envWith(process.execPath), RUNWARDEN_WORKSPACE: 'runs-cli' },
    );
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 3, stderr: '' });
    expect(result.stdout).toContain('failed (exit code 3)');
    const cache = join(dir, 'node_modules/runwarden/node_modules/.cache/runwarden');
    expect(readdirSync(cache).some((f) => /^rw-monitor-[0-9a-f]{12}$/.test(f))).toBe(true);
  });

  it('type-checks a strict TypeScript project against the installed types (nodenext and bundler)', () => {
    for (const config of ['tsconfig.nodenext.json', 'tsconfig.bundler.json']) {
      const result = inProject(process.execPath, [tscPath, '-p', config], envWith(process.execPath));
      expect({ config, code: result.code, out: result.stdout }).toEqual({ config, code: 0, out: '' });
    }
  });

  it('fails the type check when a program misuses the installed types', () => {
    const result = inProject(
      process.execPath,
      [tscPath, '--strict', '--noEmit', '--module', 'nodenext', '--types', 'node', 'misuse.ts'],
      envWith(process.execPath),
    );
    expect(result.code).not.toBe(0);
    expect(result.stdout).toContain(`Type '"bogus"' is not assignable to type 'RunState'`);
  });

  it('installs globally (npm install -g from the tarball) and runs from any directory', (ctx) => {
    const prefix = join(scratch, 'global');
    mkdirSync(join(prefix, 'lib'), { recursive: true });
    const installed = spawnSync(
      'npm',
      [
        'install',
        '-g',
        '--offline',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        '--prefix',
        prefix,
        tgzPath,
      ],
      { encoding: 'utf8', timeout: 180_000 },
    );
    // A global install reads no lockfile: npm needs the registry's metadata in its cache.
    if (installed.status !== 0 && installed.stderr.includes('ENOTCACHED'))
      return ctx.skip('npm cache lacks registry metadata for an offline global install');
    expect({ code: installed.status, stderr: installed.stderr }).toEqual({ code: 0, stderr: '' });
    const elsewhere = mkdtempSync(join(tmpdir(), 'rw-anywhere-'));
    const env = { ...envWith(process.execPath), RUNWARDEN_WORKSPACE: join(elsewhere, 'runs') };
    const run = (args: string[]) =>
      spawnSync(join(prefix, 'bin/runwarden'), args, {
        cwd: elsewhere,
        env,
        encoding: 'utf8',
        timeout: 120_000,
      });
    expect(run(['--version']).stdout.trim()).toBe(version);
    const watched = run(['start', '--watch', '--', 'node', '-e', 'process.exit(3)']);
    expect({ code: watched.status, stderr: watched.stderr }).toEqual({ code: 3, stderr: '' });
    rmSync(elsewhere, { recursive: true, force: true });
  });

  const nodes: Array<[string, string]> = [['Node 24', process.execPath]];
  if (node22 !== '') nodes.push(['Node 22', node22]);
  for (const [label, nodeBin] of nodes) {
    it(`imports openWorkspace and reporter from plain JS and TypeScript, starts a run, reads its status (${label})`, () => {
      for (const file of ['main.mjs', ...(label === 'Node 24' ? ['main.ts'] : [])]) {
        const result = inProject(nodeBin, [file], envWith(nodeBin));
        expect({ file, code: result.code, stderr: result.stderr }).toEqual({ file, code: 0, stderr: '' });
        expect(JSON.parse(result.stdout)).toMatchObject({
          state: 'running',
          step: 1,
          outcome: 'aborted',
          reporterEnabled: false,
        });
      }
    });

    it(`mounts runwarden/fastify under the host's prefix behind the host's hook (${label})`, () => {
      // Node 22 cannot strip types: it runs the .ts host only where type stripping exists.
      const args = label === 'Node 24' ? ['host.ts'] : ['--experimental-strip-types', 'host.ts'];
      const result = inProject(nodeBin, args, envWith(nodeBin));
      expect({
        code: result.code,
        stderr: result.stderr.replace(/.*ExperimentalWarning.*\n?.*\n?/g, ''),
      }).toEqual({
        code: 0,
        stderr: '',
      });
      expect(JSON.parse(result.stdout)).toEqual({ denied: 401, status: 200, state: 'idle' });
    });
  }
});
