// `runwarden list` with 10,000 ended runs in the workspace: records and index lines as
// finalisation writes them (history/<id>.json + summaryOf's line, with issue 17's tags, params
// and final metrics), then the built CLI lists them cold: plain, and filtered so that the whole
// index is read (a tag no run has, a param, a command substring) with a metric column.
// Run: npm run build && npx node bench/history-list.ts [--runs N]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HistoryRecord } from '../runtime/local/history-store.ts';
import { summaryOf } from '../runtime/local/history-store.ts';
import { layoutOf } from '../runtime/local/layout.ts';
import { fixtureEntry } from '../test/helpers/history-fixture.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
const countArg = process.argv.indexOf('--runs');
const count = countArg > 0 ? Number(process.argv[countArg + 1]) : 10_000;
const ws = join(mkdtempSync(join(tmpdir(), 'rw-bench-list-')), 'runs');
const layout = layoutOf(ws);
mkdirSync(layout.historyDir, { recursive: true });

/** Fixture run `i` as recordHistory would keep it: 1 in 100 tagged `best`, lr by i, two metrics. */
function recordOf(i: number): HistoryRecord {
  const entry = fixtureEntry(i);
  const stat = (v: number) => ({
    last: { value: v, step: 1000, n: 1000 },
    min: { value: v, step: 1000, n: 1000 },
    max: { value: 9, step: 1, n: 1 },
    count: 1000,
  });
  const params = { lr: String((i % 10) / 100), batch: '64' };
  return {
    ...entry,
    config: { ...entry.config, tags: i % 100 === 0 ? ['best', 'sweep'] : ['sweep'], params },
    stderrTail: [],
    progress: null,
    containment: null,
    card: null,
    tags: i % 100 === 0 ? ['best', 'sweep'] : ['sweep'],
    note: null,
    params,
    metricStats: { loss: stat(1 / (i + 1)), acc: stat(1 - 1 / (i + 1)) },
  };
}

const t0 = performance.now();
const lines: string[] = [];
for (let i = 0; i < count; i++) {
  const record = recordOf(i);
  writeFileSync(layout.historyRecord(record.runId), `${JSON.stringify(record)}\n`);
  lines.push(JSON.stringify(summaryOf(record)));
}
writeFileSync(layout.historyIndex, `${lines.join('\n')}\n`);
console.log(`wrote ${count} history records in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
const env = { ...process.env, RUNWARDEN_WORKSPACE: ws };

/** 7 cold runs of `runwarden …args`: min, median, max (ms). */
function timed(label: string, args: readonly string[]): void {
  const samples: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, [join(root, 'shells/cli/bin.js'), ...args], {
      env,
      encoding: 'utf8',
    });
    samples.push(performance.now() - t);
    if (r.status !== 0) throw new Error(r.stderr);
  }
  samples.sort((a, b) => a - b);
  console.log(
    `${label} with ${count} runs (7 cold runs, ms): min ${samples[0]?.toFixed(0)} median ${samples[3]?.toFixed(0)} max ${samples[6]?.toFixed(0)} (target <= 300)`,
  );
}

timed('runwarden list --json', ['list', '--json', '--limit', '50']);
timed('runwarden list --tag none (reads the whole index)', ['list', '--json', '--tag', 'none']);
timed('runwarden list --tag best --param lr=0.03 --columns id,outcome,duration,loss', [
  'list',
  '--tag',
  'best',
  '--param',
  'lr=0',
  '--columns',
  'id,outcome,duration,loss',
]);
timed('runwarden list --command "train.py --x" --since 30d (no match: whole index)', [
  'list',
  '--command',
  'train.py --x',
  '--since',
  '30d',
]);
