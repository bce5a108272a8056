// `runwarden list` with 10,000 ended runs in the workspace: records are written as finalisation
// writes them (history/<id>.json + the index line), then the built CLI lists them cold.
// Run: npm run build && npx node bench/history-list.ts [--runs N]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { recordHistory } from '../runtime/local/history-store.ts';
import { layoutOf } from '../runtime/local/layout.ts';
import { fixtureEntry } from '../test/helpers/history-fixture.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
const countArg = process.argv.indexOf('--runs');
const count = countArg > 0 ? Number(process.argv[countArg + 1]) : 10_000;
const ws = join(mkdtempSync(join(tmpdir(), 'rw-bench-list-')), 'runs');
mkdirSync(ws, { recursive: true });
const layout = layoutOf(ws);
const t0 = performance.now();
for (let i = 0; i < count; i++) {
  const entry = fixtureEntry(i);
  const written = recordHistory(layout, entry);
  if (!written.ok) throw new Error(written.error.message);
}
console.log(`wrote ${count} history records in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
const env = { ...process.env, RUNWARDEN_WORKSPACE: ws };
const samples: number[] = [];
for (let i = 0; i < 7; i++) {
  const t = performance.now();
  const r = spawnSync(
    process.execPath,
    [join(root, 'shells/cli/bin.js'), 'list', '--json', '--limit', '50'],
    { env, encoding: 'utf8' },
  );
  samples.push(performance.now() - t);
  if (r.status !== 0) throw new Error(r.stderr);
}
samples.sort((a, b) => a - b);
console.log(
  `runwarden list --json with ${count} runs (7 cold runs, ms): min ${samples[0]?.toFixed(0)} median ${samples[3]?.toFixed(0)} max ${samples[6]?.toFixed(0)} (target <= 300)`,
);
