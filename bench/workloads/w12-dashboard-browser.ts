// W12: the dashboard in Debian's Chromium (issue 18), by calling bench/dashboard.ts: the JS and
// CSS each page transfers, the time to the first chart of a run with many metric points, and the
// frame rate of a Run page while a run streams. The peers have no dashboard. Skipped, saying why,
// without /usr/bin/chromium. --quick: 20k points, 1 repeat, 5 s, 2 tabs (full: 100k, 3, 10 s, 8).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../lib/command.ts';
import { addRow, type BenchContext, type Workload } from './context.ts';

/** One figure of bench/dashboard.ts's output. */
export interface DashboardFigure {
  key: string;
  measure: string;
  unit: string;
  better: 'lower' | 'higher';
  value: number;
  note?: string;
}

/** The figures in bench/dashboard.ts's stdout (lines it did not print are simply absent). */
export function dashboardFigures(stdout: string): DashboardFigure[] {
  const figures: DashboardFigure[] = [];
  const slug = (s: string) =>
    s
      .replace(/\(.*?\)/g, '')
      .trim()
      .replace(/[^a-z0-9]+/gi, '-')
      .toLowerCase();
  for (const line of stdout.split('\n')) {
    const weight = /^weight (.+?): JS ([\d.]+) KiB, CSS ([\d.]+) KiB \((\d+) files\)$/.exec(line);
    if (weight !== null) {
      const page = weight[1] ?? '';
      for (const [kind, value] of [
        ['JS', weight[2]],
        ['CSS', weight[3]],
      ] as const) {
        figures.push({
          key: `w12.weight.${slug(page)}.${kind.toLowerCase()}`,
          measure: `${page}: ${kind} transferred`,
          unit: 'KiB',
          better: 'lower',
          value: Number(value),
          note: `${weight[4]} files`,
        });
      }
      continue;
    }
    const chart = /^first chart with (\d+) points: median (\d+) ms \((.+?) ms;/.exec(line);
    if (chart !== null) {
      figures.push({
        key: 'w12.first-chart',
        measure: `first chart of a run with ${chart[1]} points (navigation start to drawn, median)`,
        unit: 'ms',
        better: 'lower',
        value: Number(chart[2]),
        note: `runs: ${chart[3]} ms`,
      });
      continue;
    }
    const fps =
      /^frame rate: ([\d.]+) fps over (\d+) s on a Run page with (\d+) live charts .*?, (\d+) tab\(s\)/.exec(
        line,
      );
    if (fps !== null) {
      figures.push({
        key: 'w12.fps',
        measure: `Run page frame rate, ${fps[3]} live charts, ${fps[4]} tab(s) streaming`,
        unit: 'fps',
        better: 'higher',
        value: Number(fps[1]),
        note: `over ${fps[2]} s`,
      });
    }
  }
  return figures;
}

export const w12DashboardBrowser: Workload = {
  id: 'W12',
  title: 'dashboard in Chromium',
  async run(ctx: BenchContext) {
    const script = join(ctx.root, 'bench/dashboard.ts');
    if (!existsSync('/usr/bin/chromium') || !existsSync(script)) {
      ctx.skipped.push('W12: skipped: /usr/bin/chromium is missing (apt-get install -y chromium)');
      return;
    }
    const options = ctx.quick
      ? ['--points', '20000', '--repeat', '1', '--seconds', '5', '--tabs', '2']
      : ['--points', '100000', '--repeat', '3', '--seconds', '10', '--tabs', '8'];
    const ran = await run({ argv: [process.execPath, script, ...options], env: process.env }, 600_000);
    const figures = dashboardFigures(ran.stdout);
    if (ran.code !== 0 || figures.length === 0) {
      const why = ran.stderr.trim().split('\n').at(-1) ?? '';
      ctx.skipped.push(`W12: bench/dashboard.ts exited ${ran.code}${why === '' ? '' : `: ${why}`}`);
    }
    for (const f of figures) {
      addRow(
        ctx,
        { name: 'runwarden serve', role: 'subject' },
        {
          key: f.key,
          workload: 'W12',
          measure: f.measure,
          unit: f.unit,
          better: f.better,
          samples: [f.value],
          ...(f.note === undefined ? {} : { note: f.note }),
        },
      );
    }
  },
};
