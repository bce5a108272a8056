// Builds the library into dist/lib/: JavaScript and .d.ts for every module reachable from the
// package's exports (runwarden, runwarden/job, runwarden/fastify), compiled by tsc from
// tsconfig.build.json, plus the files those modules read beside themselves at run time (the
// monitor's C source, the dashboard). Run by `npm run build` and before `npm pack` (prepack).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const target = `${root}dist/lib`;
// Build beside the target and swap it in, so an importer meanwhile never sees a half-built dir.
const out = `${target}.new-${process.pid}`;

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
// typescript's exports hide bin/: find it beside its package.json.
const tsc = createRequire(import.meta.url)
  .resolve('typescript/package.json')
  .replace(/package\.json$/, 'bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', out], {
  cwd: root,
  encoding: 'utf8',
});
if (compiled.status !== 0) {
  rmSync(out, { recursive: true, force: true });
  process.stderr.write(`${compiled.stdout}${compiled.stderr}`);
  throw new Error(`tsc -p tsconfig.build.json failed (exit ${compiled.status})`);
}
// Files read through import.meta.url at run time, at the same relative paths as in the sources.
for (const asset of [
  'runtime/local/monitor/rw-monitor.c',
  // The headers rw-monitor.c includes (log-cap.h, …).
  ...readdirSync(`${root}runtime/local/monitor`)
    .filter((file) => file.endsWith('.h'))
    .map((file) => `runtime/local/monitor/${file}`),
  'shells/http/dashboard',
  'shells/job/runwarden_reporter.py',
]) {
  cpSync(`${root}${asset}`, `${out}/${asset}`, { recursive: true });
}
writeFileSync(`${out}/package.json`, '{ "type": "module" }\n');
const old = `${target}.old-${process.pid}`;
if (existsSync(target)) renameSync(target, old);
renameSync(out, target);
rmSync(old, { recursive: true, force: true });

console.log('dist/lib: built');
