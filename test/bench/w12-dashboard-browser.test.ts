// W12 reads bench/dashboard.ts's stdout: this is that output as the script printed it on this
// machine (npx node bench/dashboard.ts --points 20000 --repeat 1 --seconds 5 --tabs 2), and each
// figure must come out with its value and unit; a line the script changes stops matching here.
import { describe, expect, it } from 'vitest';
import { dashboardFigures } from '../../bench/workloads/w12-dashboard-browser.ts';

const printed = `weight Runs page: JS 169.9 KiB, CSS 14.0 KiB (16 files)
weight Run page: JS 169.9 KiB, CSS 14.0 KiB (16 files)
weight Debug page (Mermaid): JS 3659.3 KiB, CSS 14.0 KiB (17 files)
first chart with 20000 points: median 659 ms (659 ms; navigation start to the chart drawn)
frame rate: 59.8 fps over 5 s on a Run page with 8 live charts (8 metrics at 50 Hz), 2 tab(s) on it; charts redrawn 10–20 times
`;

describe('W12: the figures of bench/dashboard.ts', () => {
  it('reads every figure the script prints', () => {
    const figures = dashboardFigures(printed);
    expect(figures.map((f) => [f.key, f.value, f.unit, f.better])).toEqual([
      ['w12.weight.runs-page.js', 169.9, 'KiB', 'lower'],
      ['w12.weight.runs-page.css', 14, 'KiB', 'lower'],
      ['w12.weight.run-page.js', 169.9, 'KiB', 'lower'],
      ['w12.weight.run-page.css', 14, 'KiB', 'lower'],
      ['w12.weight.debug-page.js', 3659.3, 'KiB', 'lower'],
      ['w12.weight.debug-page.css', 14, 'KiB', 'lower'],
      ['w12.first-chart', 659, 'ms', 'lower'],
      ['w12.fps', 59.8, 'fps', 'higher'],
    ]);
    expect(figures.find((f) => f.key === 'w12.fps')?.measure).toBe(
      'Run page frame rate, 8 live charts, 2 tab(s) streaming',
    );
  });

  it('finds nothing in output without figures', () => {
    expect(dashboardFigures('bench: gave up waiting for run x to end\n')).toEqual([]);
  });
});
