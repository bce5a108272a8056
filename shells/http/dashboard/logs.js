// The run page's log panel: stdout and stderr apart or merged, each line in its last '\r' state,
// ANSI colours rendered by ansi_up (vendored; it escapes the text, so job output never becomes
// markup), search through the whole file on the server, follow, "load earlier", raw download.
import { AnsiUp } from '/vendor/ansi_up.js';
import { api } from './api.js';
import { colourOnly, escapeHtml, lastRedraw, withoutEscapes } from './render.js';

const $ = (id) => document.getElementById(id);
/** Bytes fetched per request (at the start, per "load earlier", per follow step at most). */
const chunkBytes = 64 * 1024;
/** Lines kept per stream in the page (older ones are dropped; "load earlier" fetches them again). */
const linesKeptMax = 20_000;
/** Lines drawn in the panel at most (the newest; "load earlier" raises it by what it loaded). */
const linesShownMin = 2_000;

const encoder = new TextEncoder();
const byteLength = (text) => encoder.encode(text).length;

/** One log file as the page holds it: complete lines from byte `from` to `lineEnd`, and the partial last line. */
function emptyStream() {
  return { from: 0, lineEnd: 0, size: 0, lines: [], pending: '', loaded: false, missing: false, busy: false };
}

export class LogPanel {
  constructor() {
    this.runId = null;
    this.streams = { stdout: emptyStream(), stderr: emptyStream() };
    /** Merged view: [stream, index] in the order the page received the lines. */
    this.order = [];
    this.view = 'merged';
    this.query = '';
    this.results = null;
    this.fallback = null;
    this.live = false;
    this.shownMax = linesShownMin;
    this.renderTimer = null;
    $('log-earlier').addEventListener('click', () => this.earlier());
    // Unchecking "follow" holds the view at once: what is held is drawn now (no render left
    // pending), and a follow step in flight drops what it read (the next one reads it again).
    $('log-follow').addEventListener('change', () => {
      if ($('log-follow').checked) return void this.follow();
      clearTimeout(this.renderTimer);
      this.renderTimer = null;
      if (this.results === null) this.render();
    });
    for (const input of document.querySelectorAll('input[name="log-view"]')) {
      input.addEventListener('change', () => {
        this.view = input.value;
        this.search();
      });
    }
    let timer = null;
    $('log-search').addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        this.query = $('log-search').value.trim();
        this.search();
      }, 250);
    });
  }

  /** Show run `runId` (live or ended); `fallback` = {stdout, stderr} tails when the files are gone. */
  async open(runId, { live, fallback, files = true }) {
    this.runId = runId;
    this.live = live;
    this.fallback = fallback;
    this.streams = { stdout: emptyStream(), stderr: emptyStream() };
    this.order = [];
    this.shownMax = linesShownMin;
    for (const stream of ['stdout', 'stderr']) {
      const link = $(`download-${stream}`);
      link.href = `/api/runs/${encodeURIComponent(runId)}/logs/raw?stream=${stream}`;
      link.setAttribute('download', `${runId}-${stream}.log`);
    }
    if (files) await Promise.all(['stdout', 'stderr'].map((s) => this.loadEnd(s)));
    else for (const s of Object.values(this.streams)) s.missing = true;
    this.render();
  }

  /** Whether the file of `stream` could be read at all. */
  available(stream) {
    return !this.streams[stream].missing;
  }

  /** The last chunk of a file. */
  async loadEnd(stream) {
    const s = this.streams[stream];
    const probe = await api('GET', this.url(stream, { tail: 1 }));
    if (!probe.ok) {
      s.missing = true;
      return;
    }
    const from = Math.max(0, probe.body.size - chunkBytes);
    const res = await api('GET', this.url(stream, { from, bytes: chunkBytes }));
    if (!res.ok) {
      s.missing = true;
      return;
    }
    this.take(stream, res.body, true);
    s.loaded = true;
  }

  url(stream, query) {
    const q = new URLSearchParams({
      stream,
      ...Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)])),
    });
    return `/api/runs/${encodeURIComponent(this.runId)}/logs?${q}`;
  }

  /** Fold a slice read from `body.from` (at the end of what is held) into the stream. */
  take(stream, body, first) {
    const s = this.streams[stream];
    let text = body.text;
    let from = body.from;
    if (first && from > 0) {
      // A chunk that starts mid-line: drop the partial first line (all of it is one unfinished
      // line, e.g. a '\r' bar redrawn for long: keep its end, whose last redraw is what shows).
      const cut = text.indexOf('\n');
      if (cut >= 0) {
        from += byteLength(text.slice(0, cut + 1));
        text = text.slice(cut + 1);
      }
    }
    if (first) {
      s.from = from;
      s.lineEnd = from;
    }
    s.size = body.size;
    const last = text.lastIndexOf('\n');
    if (last < 0 && body.to < body.size) {
      // An unfinished line longer than a chunk: move on to its end (its last redraw is what shows).
      s.lineEnd = body.to;
      s.pending = text;
      return;
    }
    const complete = last < 0 ? '' : text.slice(0, last);
    s.pending = last < 0 ? text : text.slice(last + 1);
    if (last >= 0) {
      s.lineEnd = from + byteLength(text.slice(0, last + 1));
      for (const line of complete.split('\n')) {
        s.lines.push(line.endsWith('\r') ? line.slice(0, -1) : line);
        this.order.push([stream, s.lines.length - 1]);
      }
    }
    if (s.lines.length > linesKeptMax) {
      const drop = s.lines.length - linesKeptMax;
      s.from += byteLength(`${s.lines.slice(0, drop).join('\n')}\n`);
      s.lines.splice(0, drop);
      this.order = this.order
        .map(([st, i]) => (st === stream ? [st, i - drop] : [st, i]))
        .filter(([, i]) => i >= 0);
    }
  }

  /** While live: read what the job appended since the last complete line (bounded per step). */
  async follow() {
    // Unchecking "follow" holds the view still (reading earlier lines keeps them).
    if (this.runId === null || !this.live || !$('log-follow').checked) return;
    let changed = false;
    await Promise.all(
      ['stdout', 'stderr'].map(async (stream) => {
        const s = this.streams[stream];
        if (s.busy) return;
        s.busy = true;
        try {
          if (!s.loaded) {
            s.missing = false;
            await this.loadEnd(stream);
            changed = true;
            return;
          }
          const res = await api('GET', this.url(stream, { from: s.lineEnd, bytes: chunkBytes }));
          if (!res.ok || !$('log-follow').checked) return; // unchecked meanwhile: hold still
          const before = `${s.lines.length}:${s.pending}`;
          this.take(stream, res.body, false);
          if (`${s.lines.length}:${s.pending}` !== before) changed = true;
        } finally {
          s.busy = false;
        }
      }),
    );
    if (changed && this.results === null) this.renderSoon();
  }

  /** Render at most every 250 ms while following (a chatty job must not keep the page busy). */
  renderSoon() {
    if (this.renderTimer !== null) return;
    this.renderTimer = setTimeout(() => {
      this.renderTimer = null;
      if (this.results === null) this.render();
    }, 250);
  }

  /** Prepend the chunk before what is held (of the shown stream; both when merged). */
  async earlier() {
    // Lines held but not drawn come first.
    if (this.viewLines().length > this.shownMax) {
      this.shownMax += linesShownMin;
      this.render(true);
      return;
    }
    const streams = this.view === 'merged' ? ['stdout', 'stderr'] : [this.view];
    let any = false;
    for (const stream of streams) {
      const s = this.streams[stream];
      if (!s.loaded || s.from === 0) continue;
      const from = Math.max(0, s.from - chunkBytes);
      const res = await api('GET', this.url(stream, { from, bytes: s.from - from }));
      if (!res.ok) continue;
      let text = res.body.text;
      let start = res.body.from;
      if (start > 0) {
        const cut = text.indexOf('\n');
        if (cut < 0) continue;
        start += byteLength(text.slice(0, cut + 1));
        text = text.slice(cut + 1);
      }
      const lines = text.replace(/\n$/, '').split('\n');
      if (text === '') continue;
      s.lines.unshift(...lines);
      s.from = start;
      this.shownMax += lines.length;
      this.order = [
        ...lines.map((_l, i) => [stream, i]),
        ...this.order.map(([st, i]) => (st === stream ? [st, i + lines.length] : [st, i])),
      ];
      any = true;
    }
    if (any) this.render(true);
  }

  /** The lines of the current view: [stream, text] (the pending partial lines last). */
  viewLines() {
    const { stdout, stderr } = this.streams;
    if (stdout.missing && stderr.missing && this.fallback) {
      const f = this.fallback;
      const pick = this.view === 'merged' ? ['stdout', 'stderr'] : [this.view];
      return pick.flatMap((st) => (f[st] ?? []).map((l) => [st, l]));
    }
    const pending = (st) => (this.streams[st].pending === '' ? [] : [[st, this.streams[st].pending]]);
    if (this.view !== 'merged') {
      const s = this.streams[this.view];
      return [...s.lines.map((l) => [this.view, l]), ...pending(this.view)];
    }
    return [
      ...this.order.map(([st, i]) => [st, this.streams[st].lines[i]]),
      ...pending('stdout'),
      ...pending('stderr'),
    ];
  }

  /** Draw the view (or the search results). */
  render(keepTop = false) {
    const log = $('log');
    if (this.results !== null) return this.renderResults();
    const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
    const ansi = new AnsiUp();
    ansi.use_classes = true;
    const merged = this.view === 'merged';
    const all = this.viewLines();
    const html = all
      .slice(Math.max(0, all.length - this.shownMax))
      .map(([stream, raw]) => {
        const line = ansi.ansi_to_html(colourOnly(lastRedraw(raw)));
        return merged && stream === 'stderr' ? `<span class="stderr">${line}</span>` : line;
      })
      .join('\n');
    const height = log.scrollHeight;
    log.innerHTML = html;
    if (keepTop) log.scrollTop = log.scrollHeight - height;
    else if ($('log-follow').checked && (atBottom || this.live)) log.scrollTop = log.scrollHeight;
    const st = this.streams;
    const earlier = (this.view === 'merged' ? [st.stdout, st.stderr] : [st[this.view]]).some(
      (s) => s.loaded && s.from > 0,
    );
    $('log-earlier').disabled = !(earlier || all.length > this.shownMax);
    const sizes = ['stdout', 'stderr']
      .map((n) => (st[n].missing ? `${n}: gone` : `${n}: ${st[n].size} bytes`))
      .join(' · ');
    $('log-status').textContent =
      `${sizes}${merged ? ' · merged in the order the page read them (the files carry no times)' : ''}`;
  }

  /** Search the whole file(s) on the server; an empty query goes back to the log. */
  async search() {
    if (this.query === '' || this.runId === null) {
      this.results = null;
      this.render();
      return;
    }
    const streams = this.view === 'merged' ? ['stdout', 'stderr'] : [this.view];
    const q = this.query;
    const found = await Promise.all(
      streams.map(async (stream) => {
        const params = new URLSearchParams({ stream, q, max: '500' });
        const res = await api('GET', `/api/runs/${encodeURIComponent(this.runId)}/logs/search?${params}`);
        return res.ok ? { stream, ...res.body } : { stream, matches: [], total: 0, failed: true };
      }),
    );
    if (q !== this.query) return;
    this.results = { q, found };
    this.renderResults();
  }

  renderResults() {
    const { q, found } = this.results;
    const needle = q.toLowerCase();
    const mark = (text) => {
      const plain = withoutEscapes(text);
      const lower = plain.toLowerCase();
      let out = '';
      let at = 0;
      for (let i = lower.indexOf(needle); i >= 0; i = lower.indexOf(needle, at)) {
        out += `${escapeHtml(plain.slice(at, i))}<mark>${escapeHtml(plain.slice(i, i + needle.length))}</mark>`;
        at = i + needle.length;
      }
      return out + escapeHtml(plain.slice(at));
    };
    const rows = found.flatMap((f) =>
      f.matches.map((m) => `<span class="lineno">${f.stream}:${m.line}</span> ${mark(m.text)}`),
    );
    $('log').innerHTML = rows.join('\n');
    const total = found.reduce((n, f) => n + f.total, 0);
    $('log-status').textContent =
      `${total} line${total === 1 ? '' : 's'} match “${q}” in the whole ${found.map((f) => f.stream).join(' and ')} log${found.length > 1 ? 's' : ''}${total > rows.length ? ` (showing ${rows.length})` : ''}`;
    $('log').dataset.matches = String(total);
  }
}
