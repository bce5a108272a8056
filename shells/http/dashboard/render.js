// Small helpers of the dashboard: durations, times, short ids, copy, toasts, '\r' redraws.

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

/** Without any CSI escape sequence (for search and plain text). */
export function withoutEscapes(text) {
  return text.replace(CSI, '');
}

/** Keep only colour (SGR) sequences: cursor moves and line clears mean nothing in a page. */
export function colourOnly(text) {
  return text.replace(CSI, (code) => (code.endsWith('m') ? code : ''));
}

/** A run id short enough for a table cell: the whole id up to 14 characters, else its ends. */
export function shortId(id) {
  return id.length <= 14 ? id : `${id.slice(0, 6)}…${id.slice(-6)}`;
}

/** A <code> with the short id, the full id on hover, and a copy button beside it. */
export function idCell(id, href) {
  const wrap = document.createElement('span');
  wrap.className = 'id-cell';
  const link = document.createElement(href ? 'a' : 'code');
  if (href) link.href = href;
  link.textContent = shortId(id);
  link.title = id;
  link.dataset.runId = id;
  const copy = document.createElement('button');
  copy.type = 'button';
  copy.className = 'copy small';
  copy.textContent = 'copy';
  copy.setAttribute('aria-label', `Copy run id ${id}`);
  copy.addEventListener('click', () => copyText(id));
  wrap.append(link, copy);
  return wrap;
}

/** Put `text` on the clipboard (quietly does nothing where the page may not). */
export function copyText(text) {
  navigator.clipboard?.writeText(text).catch(() => {});
}

/** A number as a person reads it in a table (4 significant digits). */
export function formatValue(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3);
  return String(Number(v.toPrecision(4)));
}

/** Escape text for HTML (the only way job output enters markup besides ansi_up, which escapes too). */
export function escapeHtml(text) {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );
}
