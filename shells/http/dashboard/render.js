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

const ESC = String.fromCharCode(27);
// Any CSI escape sequence (colours, cursor moves, line clears), and the SGR (colour) ones.
const CSI = new RegExp(`${ESC}\\[[0-9;?]*[ -/]*[@-~]`, 'g');
const SGR = new RegExp(`${ESC}\\[([0-9;]*)m`, 'g');
const colours = ['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'];

/**
 * What a person sees of a line the job rewrote with '\r' (a tqdm bar): its last redraw that shows
 * anything. Mirrors runtime/progress/redrawn-line.ts (the server sends lines already so treated;
 * records written before it did are treated here).
 */
export function lastRedraw(line) {
  if (!line.includes('\r')) return line;
  const redraws = line.split('\r');
  for (let i = redraws.length - 1; i >= 0; i -= 1) {
    if (redraws[i].replace(CSI, '').trim() !== '') return redraws[i];
  }
  return '';
}

/** The CSS classes of an SGR parameter list applied to the current ones (bold, dim, 8/16 colours). */
function applySgr(classes, params) {
  const codes = params === '' ? [0] : params.split(';').map(Number);
  let next = new Set(classes);
  for (const code of codes) {
    if (code === 0) next = new Set();
    else if (code === 1) next.add('ansi-bold');
    else if (code === 2) next.add('ansi-dim');
    else if (code === 22) {
      next.delete('ansi-bold');
      next.delete('ansi-dim');
    } else if ((code >= 30 && code <= 37) || (code >= 90 && code <= 97)) {
      for (const c of [...next]) if (c.startsWith('ansi-fg-')) next.delete(c);
      next.add(`ansi-fg-${colours[code % 10]}`);
    } else if (code === 39) for (const c of [...next]) if (c.startsWith('ansi-fg-')) next.delete(c);
  }
  return next;
}

/**
 * Fill `container` (a <pre>) with log lines as a terminal would show them: each line its last
 * '\r' redraw, colour codes as styled spans, every other escape sequence removed. Text goes in
 * as text nodes, never as HTML.
 */
export function renderLogLines(container, lines) {
  const fragment = document.createDocumentFragment();
  let classes = new Set();
  lines.forEach((raw, index) => {
    const line = lastRedraw(raw).replace(CSI, (code) => (code.endsWith('m') ? code : ''));
    let at = 0;
    const push = (text) => {
      if (text === '') return;
      if (classes.size === 0) fragment.append(document.createTextNode(text));
      else {
        const span = document.createElement('span');
        span.className = [...classes].join(' ');
        span.textContent = text;
        fragment.append(span);
      }
    };
    for (const match of line.matchAll(SGR)) {
      push(line.slice(at, match.index));
      classes = applySgr(classes, match[1]);
      at = match.index + match[0].length;
    }
    push(line.slice(at));
    classes = new Set(); // colours do not leak into the next line
    if (index < lines.length - 1) fragment.append(document.createTextNode('\n'));
  });
  container.replaceChildren(fragment);
}
