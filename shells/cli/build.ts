// Bundles the CLI into dist/cli/ (one ESM file per lazily loaded command) so `runwarden` starts
// without type stripping or resolving dozens of modules; copies the monitor's C source beside it.
// Run by `npm run build`, by the test suite's global setup and before `npm pack` (prepack).
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../../', import.meta.url));
const target = `${root}dist/cli`;
// Build beside the target and swap it in, so a CLI running meanwhile never sees a half-built dir.
const out = `${target}.new-${process.pid}`;

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [`${root}shells/cli/main.ts`],
  outdir: out,
  bundle: true,
  splitting: true,
  minify: true,
  sourcemap: 'linked',
  platform: 'node',
  format: 'esm',
  target: 'node22',
  // commander is CommonJS: give its require() calls a real require in the ESM bundle.
  banner: {
    js: "import{createRequire as __rwRequire}from'node:module';const require=__rwRequire(import.meta.url);",
  },
  // terminal-kit (runwarden top, issue 17) loads its terminal definitions with computed require()s:
  // it stays a package (a dependency, resolved from node_modules), not part of the bundle.
  external: ['terminal-kit'],
  logLevel: 'warning',
});
copyFileSync(`${root}runtime/local/monitor/rw-monitor.c`, `${out}/rw-monitor.c`);
// The headers rw-monitor.c includes (kick.h, issue 12; others add theirs): all of monitor/*.h.
for (const name of readdirSync(`${root}runtime/local/monitor`).filter((n) => n.endsWith('.h')))
  copyFileSync(`${root}runtime/local/monitor/${name}`, `${out}/${name}`);
copyFileSync(`${root}shells/job/runwarden_reporter.py`, `${out}/runwarden_reporter.py`);
writeFileSync(`${out}/package.json`, '{ "type": "module" }\n');
const old = `${target}.old-${process.pid}`;
if (existsSync(target)) renameSync(target, old);
renameSync(out, target);
rmSync(old, { recursive: true, force: true });

console.log('dist/cli: built');
