// Drawing helpers of the dashboard: durations, times, the metric plot as inline SVG, toasts.

const SVG = 'http://www.w3.org/2000/svg';

/** `1h02m`, `3m05s`, `4.2s`. */
export function formatDuration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(ms < 10000 ? 1 : 0)}s`;
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n) => String(n).padStart(2, '0');
  return h > 0 ? `${h}h${pad(m)}m` : `${m}m${pad(s % 60)}s`;
}

/** A local date and time. */
export function formatTime(ms) {
  return ms === null || ms === undefined ? '–' : new Date(ms).toLocaleString();
}

/** Draw `metric.points` ([x, y] pairs) as a polyline with its y range labelled; empty when none. */
export function drawPlot(svg, metric) {
  for (const old of [...svg.querySelectorAll('polyline, text')]) old.remove();
  if (!metric || metric.points.length === 0) return;
  const xs = metric.points.map((p) => p[0]);
  const ys = metric.points.map((p) => p[1]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const w = 600;
  const h = 200;
  const pad = 14;
  const sx = (x) => (x1 === x0 ? w / 2 : ((x - x0) / (x1 - x0)) * (w - 2 * pad) + pad);
  const sy = (y) => (y1 === y0 ? h / 2 : h - pad - ((y - y0) / (y1 - y0)) * (h - 2 * pad));
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute(
    'points',
    metric.points.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' '),
  );
  line.dataset.count = String(metric.points.length);
  svg.append(line);
  for (const [y, value] of [
    [12, y1],
    [h - 4, y0],
  ]) {
    const label = document.createElementNS(SVG, 'text');
    label.setAttribute('x', '4');
    label.setAttribute('y', String(y));
    label.textContent = Number(value).toPrecision(4);
    svg.append(label);
  }
}

/** Show a notification in this tab for a while (at most five at once). */
export function toast(container, level, message) {
  const item = document.createElement('div');
  item.className = `toast ${level}`;
  item.setAttribute('role', level === 'error' ? 'alert' : 'status');
  item.textContent = message;
  container.append(item);
  while (container.children.length > 5) container.firstElementChild.remove();
  setTimeout(() => item.remove(), 12000);
}
