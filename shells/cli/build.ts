// Bundles the CLI into dist/cli/ (one ESM file per lazily loaded command) so `runwarden` starts
// without type stripping or resolving dozens of modules; copies the monitor's C source beside it.
// Run by `npm run build` (also on `npm ci`, through `prepare`, and before `npm test`).
import { chmodSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../../', import.meta.url));
const out = `${root}dist/cli`;

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [`${root}shells/cli/bin.ts`, `${root}shells/cli/main.ts`],
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
writeFileSync(`${out}/package.json`, '{ "type": "module" }\n');
chmodSync(`${out}/bin.js`, 0o755);
console.log('dist/cli: built');
