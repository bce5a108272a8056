// The targets checked against the rows of this run: one line per target with the figure
// and whether it is met (figures missing → "not measured").
import { summarize } from './stats.ts';
import type { Row } from './table.ts';

const median = (rows: readonly Row[], key: string, pick: (r: Row) => boolean) => {
  const row = rows.find((r) => r.key === key && pick(r));
  return row ? summarize(row.samples).median : Number.NaN;
};
const subject = (r: Row) => r.role === 'subject';

/** `| target | this run | met |` lines. */
export function targetLines(rows: readonly Row[]): string[] {
  const peerMedians = rows
    .filter((r) => r.key === 'w1.start' && r.role === 'peer')
    .map((r) => summarize(r.samples).median)
    .filter((m) => !Number.isNaN(m));
  const w1 = median(rows, 'w1.start', subject);
  const w1Best = peerMedians.length > 0 ? Math.min(...peerMedians) : Number.NaN;
  const w2 = median(rows, 'w2.status', subject) / median(rows, 'w2.status', (r) => r.role === 'reference');
  const leaks = rows
    .filter((r) => r.role === 'subject' && r.key.endsWith('.leaked'))
    .flatMap((r) => r.samples);
  const soft = summarize(rows.find((r) => r.key === 'w4.soft' && subject(r))?.samples ?? []);
  const hard = summarize(rows.find((r) => r.key === 'w4.hard' && subject(r))?.samples ?? []);
  const w5 = median(rows, 'w5.rate', subject) / median(rows, 'w5.rate', (r) => r.role === 'baseline');
  const checks: [string, string, number, boolean][] = [
    ['W1 start ≤ fastest daemon peer', `${w1.toFixed(1)} ms vs ${w1Best.toFixed(1)} ms`, w1, w1 <= w1Best],
    ['W2 status ≤ 1.5× node -e 0', `${w2.toFixed(2)}×`, w2, w2 <= 1.5],
    [
      'W3 via SSE ≤ 20 ms median',
      `${median(rows, 'w3.sse', () => true).toFixed(1)} ms`,
      median(rows, 'w3.sse', () => true),
      median(rows, 'w3.sse', () => true) <= 20,
    ],
    ['W4 exits on signal: ≤ 300 + 50 ms (max)', `${soft.max.toFixed(0)} ms`, soft.max, soft.max <= 350],
    [
      'W4 ignores signals: ≤ grace 1000 + 50 ms (max)',
      `${hard.max.toFixed(0)} ms`,
      hard.max,
      hard.max <= 1050,
    ],
    [
      'W4 zero leaked processes',
      `${leaks.reduce((a, b) => a + b, 0)} leaked`,
      leaks.length > 0 ? leaks.length : Number.NaN,
      leaks.length > 0 && leaks.every((n) => n === 0),
    ],
    ['W5 throughput ≥ 0.95× plain', `${w5.toFixed(2)}×`, w5, w5 >= 0.95],
    [
      'W6 per-job overhead ≤ 2 MiB',
      `${median(rows, 'w6.per-job', subject).toFixed(2)} MiB`,
      median(rows, 'w6.per-job', subject),
      median(rows, 'w6.per-job', subject) <= 2,
    ],
    [
      'W7 ≥ 200k events/s (from scratch)',
      `${Math.round(median(rows, 'w7.scratch', subject)).toLocaleString('en-US')}/s`,
      median(rows, 'w7.scratch', subject),
      median(rows, 'w7.scratch', subject) >= 200_000,
    ],
    [
      'W7 RSS < 100 MiB at 1M events',
      `${median(rows, 'w7.rss', subject)} MiB`,
      median(rows, 'w7.rss', subject),
      median(rows, 'w7.rss', subject) < 100,
    ],
    [
      'W8 list ≤ 300 ms',
      `${median(rows, 'w8.list', subject)} ms`,
      median(rows, 'w8.list', subject),
      median(rows, 'w8.list', subject) <= 300,
    ],
    [
      'W9 p99 ≤ 100 ms',
      `${median(rows, 'w9.p99', subject)} ms`,
      median(rows, 'w9.p99', subject),
      median(rows, 'w9.p99', subject) <= 100,
    ],
  ];
  return [
    '| target | this run | met |',
    '|---|---|---|',
    ...checks.map(
      ([name, text, value, met]) =>
        `| ${name} | ${Number.isNaN(value) ? 'not measured' : text} | ${Number.isNaN(value) ? '—' : met ? 'yes' : 'no'} |`,
    ),
  ];
}
