// The results table: one row per workload, measure and tool, with the runwarden rows carrying
// runwarden/best-peer and runwarden/baseline ratios of medians from the same run.
import { ratio, summarize } from './stats.ts';

/** Where a tool stands: runwarden itself, the plain baseline, a peer, or a reference point. */
export type Role = 'subject' | 'baseline' | 'peer' | 'reference';

/** One tool's samples of one measure. */
export interface Row {
  /** Stable id of the measure (e.g. `w1.start`), the same for every tool. */
  key: string;
  workload: string;
  measure: string;
  unit: string;
  better: 'lower' | 'higher';
  tool: string;
  role: Role;
  samples: number[];
  note?: string;
}

const fmt = (x: number) =>
  Number.isNaN(x) ? '—' : Math.abs(x) >= 1000 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1);
const fmtRatio = (x: number) => (Number.isNaN(x) ? '—' : `${x.toFixed(2)}x`);

/** Best median among peers (daemon-based tools) of the same measure. */
function bestPeer(rows: readonly Row[], better: 'lower' | 'higher'): number {
  const medians = rows
    .filter((r) => r.role === 'peer')
    .map((r) => summarize(r.samples).median)
    .filter((m) => !Number.isNaN(m));
  if (medians.length === 0) return Number.NaN;
  return better === 'lower' ? Math.min(...medians) : Math.max(...medians);
}

/** The markdown table of `rows`, grouped by measure in order of appearance. */
export function markdownTable(rows: readonly Row[]): string {
  const out = [
    '| workload | measure | tool | n | min | median | p90 | max | rw/best peer | rw/baseline |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  const keys = [...new Set(rows.map((r) => `${r.workload}\u0000${r.measure}`))];
  for (const key of keys) {
    const group = rows.filter((r) => `${r.workload}\u0000${r.measure}` === key);
    const baseline = group.find((r) => r.role === 'baseline');
    for (const row of group) {
      const s = summarize(row.samples);
      let vsPeer = '';
      let vsBase = '';
      if (row.role === 'subject') {
        vsPeer = fmtRatio(ratio(s.median, bestPeer(group, row.better)));
        vsBase = fmtRatio(ratio(s.median, baseline ? summarize(baseline.samples).median : Number.NaN));
      }
      const tool = row.note ? `${row.tool} (${row.note})` : row.tool;
      out.push(
        `| ${row.workload} | ${row.measure} (${row.unit}, ${row.better} is better) | ${tool} | ${s.n} | ${fmt(s.min)} | ${fmt(s.median)} | ${fmt(s.p90)} | ${fmt(s.max)} | ${vsPeer} | ${vsBase} |`,
      );
    }
  }
  return out.join('\n');
}
