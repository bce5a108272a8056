// Metric charts drawn by uPlot (vendored, /vendor/uplot.min.js sets globalThis.uPlot): labelled
// axes, step or time on x, a hover readout, smoothing (TensorBoard's debiased EMA) and log scale.
import { formatValue } from './render.js';

/** Colours of the series (readable on light and dark backgrounds). */
export const palette = [
  '#2f7ed8',
  '#e4572e',
  '#29a35a',
  '#a05fd6',
  '#d4a017',
  '#17a2b8',
  '#d63384',
  '#6c757d',
];

/**
 * TensorBoard's smoothing: an exponential moving average debiased at the start (so the first
 * points are not pulled to zero). `weight` 0 returns the values; nulls stay null.
 */
export function smooth(values, weight) {
  if (!(weight > 0)) return values;
  const out = new Array(values.length);
  let last = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || !Number.isFinite(v)) {
      out[i] = null;
      continue;
    }
    last = last * weight + (1 - weight) * v;
    n += 1;
    out[i] = last / (1 - weight ** n);
  }
  return out;
}

/** The colours the page's stylesheet gives the chart (so dark mode reaches the canvas). */
function themeColours() {
  const style = getComputedStyle(document.documentElement);
  return {
    fg: style.getPropertyValue('--fg').trim() || '#222',
    grid: style.getPropertyValue('--grid').trim() || 'rgba(0,0,0,0.08)',
  };
}

/**
 * x and y of one metric's points, sorted by x: 'step' (the step, else the ordinal), 'time' (wall
 * clock, seconds) or 'relative' (seconds since `t0`).
 */
export function xyOf(points, xMode, t0 = 0) {
  const rows = [];
  points.forEach((p, i) => {
    const x =
      xMode === 'step' ? (p[0] ?? i) : p[1] === null ? null : (p[1] - (xMode === 'time' ? 0 : t0)) / 1000;
    if (x !== null) rows.push([x, p[2]]);
  });
  // Already in order for a job that counts up; sort only when it did not (a resumed run).
  for (let i = 1; i < rows.length; i++) {
    if (rows[i][0] < rows[i - 1][0]) {
      rows.sort((a, b) => a[0] - b[0]);
      break;
    }
  }
  return [rows.map((r) => r[0]), rows.map((r) => r[1])];
}

/** An axis tick: short (`1e-3`, `0.25`, `1.2e+6`). */
function formatTick(v) {
  if (v === null || !Number.isFinite(v)) return '';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(1).replace('.0e', 'e');
  return String(Number(v.toPrecision(3)));
}

/** Log scale takes positive values only: the others become gaps. */
const positive = (ys) => ys.map((v) => (v !== null && v > 0 ? v : null));

/**
 * A chart panel: a titled box holding a uPlot chart of one or more series over one x array,
 * with a hover readout (`output.hover`) and the scales' ranges on data attributes after each draw.
 * `spec`: {title, xMode ('step'|'time'|'relative'), yLabel, log, series: [{label, ys, raw?}]}.
 */
export class ChartPanel {
  constructor(container, name) {
    this.name = name;
    this.root = document.createElement('figure');
    this.root.className = 'chart-panel';
    this.root.dataset.metric = name;
    this.caption = document.createElement('figcaption');
    this.hover = document.createElement('output');
    this.hover.className = 'hover';
    this.hover.setAttribute('aria-live', 'off');
    this.plotBox = document.createElement('div');
    this.plotBox.className = 'plot';
    this.legend = document.createElement('ul');
    this.legend.className = 'legend';
    this.root.append(this.caption, this.plotBox, this.legend, this.hover);
    container.append(this.root);
    this.plot = null;
    this.key = '';
    this.resize = new ResizeObserver(() => {
      if (this.plot) this.plot.setSize(this.size());
    });
    this.resize.observe(this.plotBox);
  }

  size() {
    const width = Math.max(240, Math.floor(this.plotBox.clientWidth || 600));
    return { width, height: width < 500 ? 180 : 220 };
  }

  /** Draw `xs` against each series; rebuilds uPlot only when the layout (series, scale, x) changes. */
  draw(spec, xs) {
    const U = globalThis.uPlot;
    if (typeof U !== 'function') {
      this.caption.textContent = `${spec.title}: the chart library did not load`;
      return;
    }
    this.caption.textContent = spec.title;
    this.spec = spec;
    this.drawLegend(spec);
    const shown = spec.series.map((s) => (spec.log ? positive(s.ys) : s.ys));
    const data = [xs, ...shown];
    const key = JSON.stringify([
      spec.xMode,
      spec.log,
      spec.yLabel,
      spec.series.map((s) => [s.label, s.faint]),
    ]);
    if (this.plot !== null && key === this.key) {
      this.plot.setData(data);
      this.stamp();
      return;
    }
    this.plot?.destroy();
    this.key = key;
    const { fg, grid } = themeColours();
    const axis = { stroke: fg, grid: { stroke: grid }, ticks: { stroke: grid } };
    const time = spec.xMode === 'time';
    const xLabel = spec.xMode === 'step' ? 'step' : time ? 'time' : 'time since start (s)';
    const opts = {
      ...this.size(),
      scales: { x: { time }, y: spec.log ? { distr: 3 } : {} },
      axes: [
        { ...axis, label: xLabel, labelSize: 20 },
        {
          ...axis,
          label: spec.yLabel,
          labelSize: 20,
          size: 64,
          values: (_u, ticks) => ticks.map(formatTick),
        },
      ],
      series: [
        { label: xLabel },
        ...spec.series.map((s, i) => ({
          label: s.label,
          stroke: s.colour ?? palette[i % palette.length],
          width: s.faint ? 1 : 1.5,
          alpha: s.faint ? 0.3 : 1,
          spanGaps: true,
          points: { show: false },
          value: (_u, v) => formatValue(v),
        })),
      ],
      legend: { show: false },
      cursor: { drag: { x: true, y: false } },
      hooks: {
        setCursor: [(u) => this.readout(u, this.spec, xLabel)],
        draw: [() => this.stamp()],
      },
    };
    this.root.dataset.xLabel = xLabel;
    this.root.dataset.yLabel = spec.yLabel;
    this.plot = new U(opts, data, this.plotBox);
    this.plot.root.setAttribute('role', 'img');
    this.plot.root.setAttribute('aria-label', `${spec.title}: ${spec.yLabel} against ${xLabel}`);
  }

  /** Which colour is which curve, when there are several (Compare). */
  drawLegend(spec) {
    const curves = spec.series
      .map((s, i) => ({ s, colour: s.colour ?? palette[i % palette.length] }))
      .filter(({ s }) => !s.faint);
    this.legend.hidden = curves.length < 2;
    if (curves.length < 2) return;
    this.legend.replaceChildren(
      ...curves.map(({ s, colour }) => {
        const li = document.createElement('li');
        const swatch = document.createElement('span');
        swatch.className = 'swatch';
        swatch.style.background = colour;
        li.append(swatch, document.createTextNode(s.label));
        return li;
      }),
    );
  }

  /** The hover readout: x and each series' value at the cursor's point. */
  readout(u, spec, xLabel) {
    const idx = u.cursor.idx;
    if (idx === null || idx === undefined) {
      this.hover.textContent = '';
      delete this.hover.dataset.x;
      return;
    }
    const x = u.data[0][idx];
    const xText = spec.xMode === 'time' ? new Date(x * 1000).toLocaleTimeString() : formatValue(x);
    const parts = spec.series
      .map((s, i) => ({ s, v: u.data[i + 1][idx] }))
      .filter(({ s }) => !s.faint)
      .map(({ s, v }) => `${s.label} ${formatValue(v)}`);
    this.hover.textContent = `${xLabel} ${xText}: ${parts.join(' · ')}`;
    this.hover.dataset.x = String(x);
    // The raw value (unsmoothed) of the first series at this x: what the events file says.
    const raw = spec.series[0]?.raw ?? spec.series[0]?.ys;
    this.hover.dataset.value = String(raw?.[idx] ?? '');
    // What the first curve draws there (the smoothed value when smoothing is on).
    this.hover.dataset.shown = String(u.data[1]?.[idx] ?? '');
  }

  /** Record the drawn ranges and point count (tests and the bench read them). */
  stamp() {
    const u = this.plot;
    if (!u) return;
    const d = this.root.dataset;
    d.points = String(u.data[0].length);
    d.xMin = String(u.scales.x.min);
    d.xMax = String(u.scales.x.max);
    d.yMin = String(u.scales.y.min);
    d.yMax = String(u.scales.y.max);
    d.series = String(u.series.length - 1);
    d.log = String(u.scales.y.distr === 3);
    d.xMode = this.key === '' ? '' : JSON.parse(this.key)[0];
    d.drawn = String(Number(d.drawn ?? 0) + 1);
  }

  destroy() {
    this.resize.disconnect();
    this.plot?.destroy();
    this.root.remove();
  }
}

/**
 * Series of one metric for a chart: the raw values faint and the smoothed curve on top when
 * smoothing is on; the raw curve alone otherwise.
 */
export function metricSeries(label, ys, weight, colour) {
  if (!(weight > 0)) return [{ label, ys, raw: ys, colour }];
  return [
    { label, ys: smooth(ys, weight), raw: ys, colour },
    { label: `${label} (raw)`, ys, faint: true, colour },
  ];
}
