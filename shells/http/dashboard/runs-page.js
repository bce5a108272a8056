// The Runs page (/): active, queued and recent runs in one table (filter by outcome, tag and text;
// sort by any column; short ids with the full one on hover and copy), the selection that opens
// Compare, and the start form (cwd, env, tags, GPUs when the server has slots, retention).

import { api, errorText, getJson, has } from './api.js';
import { formatDuration, formatTime, formatValue, idCell, toast } from './render.js';
import { activeRuns } from './run-page.js';

const $ = (id) => document.getElementById(id);
/** Ended runs the table loads. */
const historyLimit = 200;

export class RunsPage {
  constructor() {
    this.state = null;
    this.history = [];
    this.more = false;
    this.queue = null;
    this.selected = new Set();
    this.sort = { key: 'started', dir: -1 };
    this.lastEnded = undefined;
    for (const id of ['filter-outcome', 'filter-tag', 'filter-text', 'table-metric']) {
      $(id).addEventListener('input', () => this.render());
    }
    for (const th of document.querySelectorAll('#runs-table th[data-sort]')) {
      th.querySelector('button').addEventListener('click', () => {
        const key = th.dataset.sort;
        this.sort = { key, dir: this.sort.key === key ? -this.sort.dir : key === 'started' ? -1 : 1 };
        for (const other of document.querySelectorAll('#runs-table th[data-sort]'))
          other.removeAttribute('aria-sort');
        th.setAttribute('aria-sort', this.sort.dir > 0 ? 'ascending' : 'descending');
        this.render();
      });
    }
    $('compare-selected').addEventListener('click', () => {
      location.assign(`/compare?ids=${[...this.selected].map(encodeURIComponent).join(',')}`);
    });
    this.setUpStart();
  }

  async open() {
    await Promise.all([this.loadHistory(), this.loadQueue()]);
    this.render();
  }

  async loadHistory() {
    const body = await getJson(`/api/runs?limit=${historyLimit}`);
    if (body === null) return;
    this.history = body.runs;
    this.more = body.more;
  }

  /** The queue, when this server has one (issue 12's GET /api/queue); null otherwise. */
  async loadQueue() {
    this.queue = has('GET /api/queue') ? await getJson('/api/queue') : null;
  }

  onState(state, event) {
    this.state = state;
    const endedId = state.lastEnded?.record.runId ?? null;
    if (endedId !== this.lastEnded) {
      const first = this.lastEnded === undefined;
      this.lastEnded = endedId;
      if (!first) this.loadHistory().then(() => this.render());
    }
    if (event === 'queue') this.queue = state.queueView;
    this.renderStart();
    this.render();
  }

  /** The table's rows: active runs, queued entries, ended runs; each with the values columns sort by. */
  rows() {
    const status = this.state?.status;
    const metric = $('table-metric').value;
    const progress = this.state?.progress;
    const rows = [];
    const seen = new Set();
    for (const run of activeRuns(this.state)) {
      seen.add(run.id);
      const view = progress?.runId === run.id ? progress.view : null;
      const metrics = view?.metrics ?? [];
      const value = metrics.find((m) => m.name === metric)?.value ?? run.progress?.metrics?.[metric] ?? null;
      const cpu = metrics.find((m) => m.name.startsWith('sys/cpu'))?.value;
      const gpu = metrics.find((m) => m.name.startsWith('sys/gpu'))?.value;
      rows.push({
        id: run.id,
        name: run.name,
        state: status.run?.id === run.id ? status.state : run.abort ? 'aborting' : 'running',
        kind: 'active',
        progress: view?.percent ?? run.progress?.percent ?? null,
        phase: view?.phase ?? run.progress?.phase ?? null,
        eta: view?.etaMs ?? run.progress?.etaMs ?? null,
        metric: value,
        resources: [
          gpu === undefined ? null : `GPU ${formatValue(gpu)}`,
          cpu === undefined ? null : `CPU ${formatValue(cpu)}`,
        ]
          .filter(Boolean)
          .join(' '),
        duration: run.startedAt ? Date.now() + (this.state.offsetMs ?? 0) - run.startedAt : null,
        tags: run.tags ?? [],
        started: run.startedAt,
        argv: run.argv.join(' '),
      });
    }
    for (const entry of this.queue?.entries ?? []) {
      if (seen.has(entry.runId)) continue;
      seen.add(entry.runId);
      rows.push({
        id: entry.runId,
        name: entry.name,
        state: entry.held ? 'held' : 'queued',
        kind: 'queued',
        progress: null,
        phase: `#${entry.position}${entry.waitingFor?.length ? `: ${entry.waitingFor.join(', ')}` : ''}`,
        eta: null,
        metric: null,
        resources: entry.needs?.gpus ? `${entry.needs.gpus} GPU` : '',
        duration: null,
        tags: entry.tags ?? [],
        started: entry.submittedAt ?? null,
        argv: (entry.argv ?? []).join(' '),
      });
    }
    for (const r of this.history) {
      if (seen.has(r.id)) continue;
      seen.add(r.id);
      const finals = r.metrics ?? r.finalMetrics ?? null;
      rows.push({
        id: r.id,
        name: r.name,
        state: r.outcome,
        kind: 'ended',
        progress: null,
        phase: r.reason ?? '',
        eta: null,
        metric: finals && typeof finals[metric] === 'number' ? finals[metric] : null,
        resources: '',
        duration: r.durationMs,
        tags: r.tags ?? [],
        started: r.startedAt,
        argv: r.command ?? '',
      });
    }
    return rows;
  }

  /** The rows the filters keep, sorted. */
  visible() {
    const outcome = $('filter-outcome').value;
    const tag = $('filter-tag').value.trim().toLowerCase();
    const text = $('filter-text').value.trim().toLowerCase();
    const rows = this.rows().filter((r) => {
      if (outcome === 'active' && r.kind !== 'active') return false;
      if (outcome === 'queued' && r.kind !== 'queued') return false;
      if (outcome !== '' && outcome !== 'active' && outcome !== 'queued' && r.state !== outcome) return false;
      if (tag !== '' && !r.tags.some((t) => t.toLowerCase().includes(tag))) return false;
      if (text !== '' && !`${r.id} ${r.name} ${r.state} ${r.phase} ${r.argv}`.toLowerCase().includes(text))
        return false;
      return true;
    });
    const { key, dir } = this.sort;
    const value = (r) => (key === 'tags' ? r.tags.join(',') : r[key]);
    rows.sort((a, b) => {
      const va = value(a);
      const vb = value(b);
      if (va === vb) return 0;
      if (va === null || va === undefined || va === '') return 1;
      if (vb === null || vb === undefined || vb === '') return -1;
      return (
        (typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va).localeCompare(String(vb))) *
        dir
      );
    });
    return rows;
  }

  render() {
    if (this.state === null) return;
    const metric = $('table-metric').value;
    $('metric-head').textContent = metric;
    this.renderMetricChoices();
    const rows = this.visible();
    const body = $('runs-table').tBodies[0];
    body.replaceChildren(
      ...rows.map((r) => {
        const tr = document.createElement('tr');
        tr.className = `kind-${r.kind}`;
        tr.dataset.runId = r.id;
        if (r.progress !== null) tr.dataset.progress = String(r.progress);
        const box = document.createElement('input');
        box.type = 'checkbox';
        box.checked = this.selected.has(r.id);
        box.setAttribute('aria-label', `Select ${r.id} for comparing`);
        box.addEventListener('change', () => {
          if (box.checked) this.selected.add(r.id);
          else this.selected.delete(r.id);
          this.renderSelection();
        });
        const bar = document.createElement('span');
        if (r.progress !== null) {
          bar.className = 'mini-bar';
          bar.setAttribute('role', 'img');
          bar.setAttribute('aria-label', `${r.progress.toFixed(0)}%`);
          const fill = document.createElement('span');
          fill.style.width = `${Math.max(0, Math.min(100, r.progress))}%`;
          bar.append(fill);
        }
        const name = document.createElement('span');
        name.className = 'run-name';
        name.textContent = r.name;
        const idWrap = document.createElement('span');
        idWrap.className = 'run-cell';
        idWrap.append(name, idCell(r.id, r.kind === 'queued' ? null : `/runs/${encodeURIComponent(r.id)}`));
        const state = document.createElement('span');
        state.className = `badge ${r.state}`;
        state.textContent = r.state;
        const cells = [
          [box, ''],
          [idWrap, ''],
          [state, r.kind === 'ended' ? r.state : ''],
          [bar, ''],
          [r.phase ?? '', 'wide'],
          [r.eta === null ? '' : formatDuration(r.eta), 'wide'],
          [formatValue(r.metric), 'num'],
          [r.resources, 'wide'],
          [formatDuration(r.duration), 'num'],
          [r.tags.join(', '), 'wide'],
          [formatTime(r.started), 'wide'],
        ];
        for (const [content, cls] of cells) {
          const td = document.createElement('td');
          td.append(content);
          if (cls) td.className = cls;
          tr.append(td);
        }
        return tr;
      }),
    );
    $('runs-empty').hidden = rows.length > 0;
    $('runs-more').hidden = !this.more;
    $('runs-more').textContent = `Showing the newest ${historyLimit} ended runs (runwarden list shows all).`;
    this.renderSelection();
  }

  renderSelection() {
    $('compare-selected').disabled = this.selected.size < 2;
    $('compare-selected').textContent =
      this.selected.size < 2 ? 'Compare selected' : `Compare ${this.selected.size} runs`;
  }

  /** The metric column's choices: every metric the live run has, plus loss. */
  renderMetricChoices() {
    const select = $('table-metric');
    const names = new Set(['loss', ...(this.state?.progress?.view?.metrics ?? []).map((m) => m.name)]);
    const have = new Set([...select.options].map((o) => o.value));
    for (const n of names) {
      if (have.has(n)) continue;
      const option = document.createElement('option');
      option.value = n;
      option.textContent = n;
      select.append(option);
    }
  }

  /** Whether a start may go now: idle, or (with slots) a free slot. */
  canStart() {
    const status = this.state?.status;
    if (!status) return false;
    if (has('GET /api/queue')) return true; // a start with no free slot is queued
    const slots = this.state.slots ?? status.slots;
    if (Array.isArray(slots) && slots.length > 0) return slots.some((s) => s.runId === null);
    return status.state === 'idle';
  }

  renderStart() {
    const status = this.state?.status;
    const ok = this.canStart();
    $('start-fields').disabled = !ok;
    $('start-hint').textContent = ok
      ? ''
      : `A run can start when the workspace is idle (now: ${status?.state}).`;
    const slots = this.state?.slots ?? status?.slots;
    $('gpus-label').hidden = !(Array.isArray(slots) && slots.some((s) => s.gpu));
    const keepAborted = $('keep-aborted').checked;
    const keepFailed = $('keep-failed').checked;
    $('abort-keeps').textContent =
      `Abort sends SIGINT to the job's process group, then SIGKILL after the grace. The run is recorded as aborted either way; its directory (logs, events, checkpoints) is ${keepAborted ? 'kept' : 'deleted'} after an abort and ${keepFailed ? 'kept' : 'deleted'} after a failure.`;
  }

  setUpStart() {
    for (const id of ['keep-aborted', 'keep-failed'])
      $(id).addEventListener('change', () => this.renderStart());
    $('start-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      const argv = $('argv')
        .value.split('\n')
        .map((a) => a.trim())
        .filter((a) => a !== '');
      const body = {
        argv,
        graceMs: Math.round(Number($('grace').value || '30') * 1000),
        retention: {
          aborted: $('keep-aborted').checked ? 'keep' : 'delete',
          failed: $('keep-failed').checked ? 'keep' : 'delete',
        },
      };
      const name = $('name').value.trim();
      if (name) body.name = name;
      const cwd = $('cwd').value.trim();
      if (cwd) body.cwd = cwd;
      const env = {};
      for (const line of $('env').value.split('\n')) {
        const at = line.indexOf('=');
        if (line.trim() === '') continue;
        if (at <= 0) {
          toast($('toasts'), 'error', `environment line "${line}" is not NAME=value`);
          return;
        }
        env[line.slice(0, at).trim()] = line.slice(at + 1);
      }
      if (Object.keys(env).length > 0) body.env = env;
      const tags = $('tags')
        .value.split(',')
        .map((t) => t.trim())
        .filter(Boolean);
      if (tags.length > 0) body.tags = tags;
      const gpus = Number($('gpus').value || '0');
      if (!$('gpus-label').hidden && gpus > 0) body.gpus = gpus;
      // With a queue (issue 12) a start waits for its slots instead of being refused.
      if (has('GET /api/queue')) body.queue = true;
      // Tags go only to a server that takes them (issue 17); one that does not says so (400).
      const res = await api('POST', '/api/runs', body);
      if (res.ok) {
        location.assign(res.body.state === 'queued' ? '/queue' : `/runs/${encodeURIComponent(res.body.id)}`);
        return;
      }
      toast($('toasts'), res.status === 409 ? 'warning' : 'error', errorText(res, 'start failed'));
    });
  }
}
