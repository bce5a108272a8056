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
  logLevel: 'warning',
});
copyFileSync(`${root}runtime/local/monitor/rw-monitor.c`, `${out}/rw-monitor.c`);
// The headers rw-monitor.c includes (log-cap.h, …) sit next to it.
for (const header of readdirSync(`${root}runtime/local/monitor`).filter((file) => file.endsWith('.h'))) {
  copyFileSync(`${root}runtime/local/monitor/${header}`, `${out}/${header}`);
}
copyFileSync(`${root}shells/job/runwarden_reporter.py`, `${out}/runwarden_reporter.py`);
writeFileSync(`${out}/package.json`, '{ "type": "module" }\n');
const old = `${target}.old-${process.pid}`;
if (existsSync(target)) renameSync(target, old);
renameSync(out, target);
rmSync(old, { recursive: true, force: true });

console.log('dist/cli: built');
