// The Run page (/runs/<id>): header with state, outcome and the actions the machine allows now,
// progress with ETA, charts of every metric (picker, step/time, smoothing, log scale; sys/* in
// their own panel), the run card, checkpoints and logs. An ended run is the same page, frozen.
import { api, errorText, getJson, has } from './api.js';
import { ChartPanel, metricSeries, palette, xyOf } from './charts.js';
import { LogPanel } from './logs.js';
import { formatDuration, formatValue, toast } from './render.js';

const $ = (id) => document.getElementById(id);

/**
 * The active runs of a stream state: every one with slots (issue 12 puts `runs` at the top of the
 * snapshot and in `slots` events), else the one of the status.
 */
export function activeRuns(state) {
  if (Array.isArray(state?.runs) && state.runs.length > 0) return state.runs;
  if (Array.isArray(state?.status?.runs) && state.status.runs.length > 0) return state.status.runs;
  return state?.status?.run ? [state.status.run] : [];
}

export class RunPage {
  constructor(runId) {
    this.runId = runId;
    this.detail = null;
    this.state = null;
    this.live = false;
    /** Every metric point read so far: name → [[step, tMs, value]...]; `offset` into events.ndjson. */
    this.metrics = new Map();
    this.offset = 0;
    this.fetching = false;
    this.panels = new Map();
    this.selected = null;
    this.logs = new LogPanel();
    this.drawTimer = null;
    this.lastLogsEvent = 0;
    for (const id of ['x-mode', 'log-scale']) $(id).addEventListener('change', () => this.drawCharts(true));
    $('smoothing').addEventListener('input', () => {
      $('smoothing-value').textContent = $('smoothing').value;
      this.drawCharts(true);
    });
    $('copy-id').addEventListener('click', () => navigator.clipboard?.writeText(this.runId).catch(() => {}));
    this.setUpActions();
  }

  /** Load the run's detail, its metrics and logs. */
  async open() {
    const res = await api('GET', `/api/runs/${encodeURIComponent(this.runId)}`);
    if (!res.ok) {
      $('run-missing').hidden = false;
      $('run-missing').textContent = errorText(res, `run ${this.runId} not found`);
      $('run-id').textContent = this.runId;
      return;
    }
    this.detail = res.body;
    this.live = this.detail.active;
    document.body.dataset.runLive = String(this.live);
    this.renderHeader();
    this.renderCard();
    // A run whose directory retention deleted has only its record: its last tails, no files.
    const files = this.detail.dirExists !== false;
    $('log-files').hidden = !files;
    $('log-search').disabled = !files;
    $('run-missing').hidden = files;
    if (!files)
      $('run-missing').textContent =
        'Its directory was deleted (retention): only the record and the last log lines remain.';
    await Promise.all([
      files ? this.fetchMetrics() : Promise.resolve(),
      this.logs.open(this.runId, { live: this.live, fallback: this.fallbackLogs(), files }),
    ]);
  }

  fallbackLogs() {
    const d = this.detail;
    if (!d) return null;
    const tails = d.logs ?? { stdout: [], stderr: [] };
    if (tails.stdout.length === 0 && tails.stderr.length === 0 && d.record) {
      return { stdout: [], stderr: d.record.stderrTail ?? [] };
    }
    return tails;
  }

  /** The live run view of this run in the stream's state, or null. */
  liveRun() {
    return activeRuns(this.state).find((r) => r.id === this.runId) ?? null;
  }

  /** A new state from the shared stream. */
  onState(state, event) {
    this.state = state;
    const run = this.liveRun();
    if (this.live && run === null && state.status.state !== 'starting') {
      // It ended: reload the frozen view (record, outcome) once.
      this.live = false;
      document.body.dataset.runLive = 'false';
      this.logs.live = false;
      this.open();
      return;
    }
    if (!this.live && run !== null) {
      this.live = true;
      this.logs.live = true;
    }
    this.renderHeader();
    if (this.live && (event === 'progress' || event === 'snapshot')) this.fetchMetrics();
    if (this.live && (event === 'logs' || event === 'snapshot')) this.logs.follow();
  }

  /** Every second: the clock-driven parts (elapsed, abort countdown) and a log follow step. */
  tick() {
    if (this.detail === null) return;
    this.renderHeader();
    if (this.live) this.logs.follow();
  }

  /** The progress view: the stream's for the live run, else the frozen one. */
  progress() {
    const p = this.state?.progress;
    if (this.live && p?.runId === this.runId) return p.view;
    if (this.state?.lastEnded?.record.runId === this.runId && this.state.lastEnded.progress) {
      return this.state.lastEnded.progress;
    }
    return this.detail?.progress ?? null;
  }

  renderHeader() {
    const d = this.detail;
    if (d === null) return;
    const run = this.liveRun();
    const now = Date.now() + (this.state?.offsetMs ?? 0);
    const record = d.record;
    const config = d.config;
    $('run-id').textContent = this.runId;
    $('run-name').textContent = run?.name ?? record?.name ?? config?.name ?? '';
    const runState = run ? this.stateOf(run) : null;
    const stateEl = $('state');
    if (run) {
      stateEl.textContent = runState;
      stateEl.className = `badge ${runState}`;
      $('run-reason').textContent = run.monitorLost ? 'monitor lost: the exit code cannot be recorded' : '';
    } else if (record) {
      stateEl.textContent = `ended: ${record.outcome}${record.exitCode !== null ? ` (exit ${record.exitCode})` : ''}${record.signal ? ` (${record.signal})` : ''}`;
      stateEl.className = `badge ${record.outcome}`;
      $('run-reason').textContent = `${record.reason ? `reason: ${record.reason}` : ''}${
        record.outcome === 'suspended' ? ` · resume it with: runwarden resume ${this.runId}` : ''
      }`;
    } else {
      stateEl.textContent = d.state;
      stateEl.className = 'badge';
    }
    document.body.dataset.runState = run ? runState : record ? `ended-${record.outcome}` : d.state;
    $('run-pid').textContent = run?.pid ?? '–';
    const started = run?.startedAt ?? record?.startedAt ?? null;
    const ended = record?.endedAt ?? null;
    $('run-elapsed').textContent = started ? formatDuration((run ? now : (ended ?? now)) - started) : '–';
    // Actions: only what the machine allows now.
    const aborting = runState === 'aborting';
    // A paused run (issue 14) is abortable too: the runtime sends SIGCONT with the SIGINT.
    $('abort').hidden = !['running', 'stalled', 'paused'].includes(runState);
    $('force').hidden = !(aborting && run?.abort && !run.abort.forced);
    // Checkpoint, pause and resume (issue 14): shown when the server has the route and the run's
    // view says the machine allows it now (run.actions); never guessed here.
    const allowed = new Set(Array.isArray(run?.actions) ? run.actions : []);
    for (const action of ['checkpoint', 'pause', 'resume']) {
      $(action).hidden = !(allowed.has(action) && has(`POST /api/${action}`));
    }
    const idle = this.state?.status.state === 'idle';
    $('run-again').hidden = !(run === null && record !== null && config && idle);
    const info = $('abort-info');
    info.hidden = !run?.abort;
    if (run?.abort) {
      info.textContent = run.abort.forced
        ? 'Aborting: SIGKILL sent to the process group.'
        : `Aborting: SIGINT sent; SIGKILL in ${formatDuration(Math.max(0, run.abort.killAt - now))} if still running.`;
    }
    this.renderProgress(this.progress(), run === null);
  }

  /** The run's state word: the workspace's for the single-run status, the run's own with slots. */
  stateOf(run) {
    if (typeof run.state === 'string') return run.state;
    if (this.state?.status.run?.id === run.id) return this.state.status.state;
    return run.abort ? 'aborting' : 'running';
  }

  renderProgress(p, ended) {
    const percent = p?.percent ?? null;
    $('bar').setAttribute('aria-valuenow', String(Math.round(percent ?? 0)));
    $('bar-fill').style.width = `${Math.max(0, Math.min(100, percent ?? 0))}%`;
    const steps = p && p.step !== null ? `step ${p.step}${p.total !== null ? ` / ${p.total}` : ''}` : '';
    const rate = p?.stepsPerS ? ` · ${formatValue(p.stepsPerS)} steps/s` : '';
    const eta =
      p && p.etaMs !== null && !ended
        ? ` · ETA ${formatDuration(p.etaMs)} (about ${new Date(Date.now() + p.etaMs).toLocaleTimeString()})`
        : '';
    $('bar-text').textContent = `${percent === null ? '' : `${percent.toFixed(1)}% `}${steps}${rate}${eta}`;
    $('run-phase').textContent = p?.phase ?? '–';
    const bad = p?.badEvents
      ? `warning: events.ndjson line ${p.badEvents.line} was skipped: ${p.badEvents.reason}`
      : null;
    $('run-message').textContent = p?.lastError ? `error: ${p.lastError.message}` : (bad ?? p?.message ?? '');
    const list = $('checkpoints');
    // The checkpoints the server lists, else the suspended run's (issue 14), else the last reported.
    const record = this.detail?.record;
    const checkpoints = Array.isArray(this.detail?.checkpoints)
      ? this.detail.checkpoints
      : record?.checkpoint
        ? [record.checkpoint]
        : p?.lastCheckpoint
          ? [p.lastCheckpoint]
          : [];
    if (checkpoints.length > 0) {
      list.replaceChildren(
        ...checkpoints.map((c) => {
          const li = document.createElement('li');
          const code = document.createElement('code');
          code.textContent = c.path;
          li.append(
            code,
            document.createTextNode(c.step === null || c.step === undefined ? '' : ` at step ${c.step}`),
          );
          return li;
        }),
      );
    }
  }

  /** The run card: argv, cwd, git, params, tags, notes (the card helper's data when the server has it). */
  renderCard() {
    const d = this.detail;
    const config = d.config;
    // The run card (issue 17) is in the history record once the run ended: record.card (argv, cwd,
    // git…), record.params, record.tags, record.note.
    const record = d.record ?? {};
    const card = record.card ?? null;
    $('run-argv').textContent = config ? config.argv.join(' ') : (d.run?.argv.join(' ') ?? '–');
    $('run-cwd').textContent = card?.cwd ?? config?.cwd ?? '–';
    const git = card?.git;
    $('run-git').textContent = git
      ? `${git.commit ?? ''}${git.branch ? ` (${git.branch})` : ''}${git.dirty ? ', uncommitted changes' : ''}`
      : '–';
    const params = record.params;
    $('run-params').textContent =
      params && Object.keys(params).length > 0
        ? Object.entries(params)
            .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join(', ')
        : '–';
    const tags = record.tags ?? [];
    $('run-tags').textContent = tags.length > 0 ? tags.join(', ') : '–';
    const notes = record.note ?? null;
    $('run-notes').textContent = notes ?? '–';
    // The note is editable once the run ended, when the server has the card's note route (issue 17).
    $('notes-form').hidden = !(has('POST /api/runs/:id/note') && d.record);
    $('notes-input').value = notes ?? '';
  }

  /** Read the events file from where the last read stopped; redraw the charts when points came. */
  async fetchMetrics() {
    if (this.fetching) {
      this.again = true;
      return;
    }
    this.fetching = true;
    try {
      let more = true;
      let got = false;
      while (more) {
        const body = await getJson(`/api/runs/${encodeURIComponent(this.runId)}/metrics?from=${this.offset}`);
        if (body === null) break;
        for (const [name, points] of Object.entries(body.metrics)) {
          const held = this.metrics.get(name);
          if (held) for (const p of points) held.push(p);
          else this.metrics.set(name, points);
          got = got || points.length > 0;
        }
        more = body.to > this.offset && body.to < body.size;
        this.offset = body.to;
      }
      if (got || this.panels.size === 0) this.drawCharts(false);
    } finally {
      this.fetching = false;
      if (this.again) {
        this.again = false;
        this.fetchMetrics();
      }
    }
  }

  /** The picker: a checkbox per metric (sys/* go to the system panel); the first few checked. */
  renderPicker(names) {
    const picker = $('metric-picker');
    const have = new Set([...picker.querySelectorAll('input')].map((i) => i.value));
    if (this.selected === null) this.selected = new Set(names.slice(0, 4));
    for (const name of names) {
      if (have.has(name)) continue;
      const label = document.createElement('label');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.value = name;
      box.checked = this.selected.has(name);
      box.addEventListener('change', () => {
        if (box.checked) this.selected.add(name);
        else this.selected.delete(name);
        this.drawCharts(true);
      });
      label.append(box, document.createTextNode(` ${name}`));
      picker.append(label);
    }
  }

  /** Redraw the charts (at most once a second unless `now`). */
  drawCharts(now) {
    if (now) {
      clearTimeout(this.drawTimer);
      this.drawTimer = null;
      this.draw();
      return;
    }
    if (this.drawTimer !== null) return;
    this.drawTimer = setTimeout(
      () => {
        this.drawTimer = null;
        this.draw();
      },
      this.panels.size === 0 ? 0 : 1000,
    );
  }

  draw() {
    const names = [...this.metrics.keys()];
    const user = names.filter((n) => !n.startsWith('sys/'));
    const sys = names.filter((n) => n.startsWith('sys/'));
    this.renderPicker(user);
    $('charts-empty').hidden = names.length > 0;
    $('sys-panel').hidden = sys.length === 0;
    const xMode = $('x-mode').value;
    const log = $('log-scale').checked;
    const weight = Number($('smoothing').value);
    const t0 = this.startedAt();
    const want = [
      ...user.filter((n) => this.selected.has(n)).map((n) => [n, $('charts')]),
      ...sys.map((n) => [n, $('sys-charts')]),
    ];
    for (const [name, panel] of this.panels) {
      if (!want.some(([n]) => n === name)) {
        panel.destroy();
        this.panels.delete(name);
      }
    }
    want.forEach(([name, container], i) => {
      let panel = this.panels.get(name);
      if (!panel) {
        panel = new ChartPanel(container, name);
        this.panels.set(name, panel);
      }
      const [xs, ys] = xyOf(this.metrics.get(name), xMode, t0);
      const latest = ys.length > 0 ? ys[ys.length - 1] : null;
      const weightHere = name.startsWith('sys/') ? 0 : weight;
      panel.draw(
        {
          title: `${name} (latest ${formatValue(latest)}, ${ys.length} points)`,
          xMode,
          yLabel: name,
          log,
          series: metricSeries(name, ys, weightHere, palette[i % palette.length]),
        },
        xs,
      );
    });
    document.body.dataset.charts = String(this.panels.size);
  }

  startedAt() {
    return this.liveRun()?.startedAt ?? this.detail?.record?.startedAt ?? 0;
  }

  setUpActions() {
    const dialog = $('abort-dialog');
    $('abort').addEventListener('click', () => {
      const run = this.liveRun();
      if (!run) return;
      $('abort-what').textContent =
        `SIGINT goes to the job's process group (${run.id}, pid ${run.pid}). If it is still running after ${formatDuration(run.graceMs)}, it gets SIGKILL. The run is recorded as aborted; ${this.keepsText()}`;
      dialog.dataset.runId = run.id;
      dialog.showModal();
    });
    dialog.addEventListener('close', async () => {
      if (dialog.returnValue !== 'abort') return;
      await this.abort({});
    });
    $('force').addEventListener('click', () => this.abort({ force: true }));
    for (const action of ['checkpoint', 'pause', 'resume']) {
      $(action).addEventListener('click', () => this.send(`/api/${action}`, { runId: this.runId }));
    }
    $('run-again').addEventListener('click', async () => {
      const c = this.detail?.config;
      if (!c) return;
      const body = {
        argv: [...c.argv],
        name: c.name,
        graceMs: c.graceMs,
        cwd: c.cwd,
        retention: c.retention,
      };
      if (c.env && Object.keys(c.env).length > 0) body.env = c.env;
      const res = await api('POST', '/api/runs', body);
      if (res.ok) location.assign(`/runs/${encodeURIComponent(res.body.id)}`);
      else toast($('toasts'), 'error', errorText(res, 'start failed'));
    });
    $('notes-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      const res = await api('POST', `/api/runs/${encodeURIComponent(this.runId)}/note`, {
        note: $('notes-input').value,
      });
      if (res.ok) $('run-notes').textContent = $('notes-input').value || '–';
      else toast($('toasts'), 'error', errorText(res, 'saving the notes failed'));
    });
  }

  /** Abort this run: its own route when the server has several runs (issue 12), else /api/abort. */
  abort(body) {
    if (has('POST /api/runs/:id/abort'))
      return this.send(`/api/runs/${encodeURIComponent(this.runId)}/abort`, body);
    return this.send('/api/abort', { runId: this.runId, ...body });
  }

  /** What this run's retention keeps when it is aborted. */
  keepsText() {
    const keep = this.detail?.config?.retention?.aborted;
    if (keep === 'delete')
      return 'its directory (logs, events, checkpoints) is then deleted; the history record stays.';
    return 'its directory (logs, events, any checkpoint inside it) is kept; delete it later with runwarden prune.';
  }

  /** POST an action; 409 (already ended) is quiet, since the stream shows the truth anyway. */
  async send(path, body) {
    const res = await api('POST', path, body);
    if (!res.ok && res.status !== 409) toast($('toasts'), 'error', errorText(res, `${path} failed`));
  }
}
