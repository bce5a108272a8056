// The dashboard: renders the shared stream's state (never a local flag), starts and aborts runs
// through the API, shows the history, the frozen view of an ended run, and notifications.
import { drawPlot, formatDuration, formatTime, renderLogLines, toast } from './render.js';
import { openReplay, setLiveState, setUpStateView } from './state-view.js';
import { subscribe } from './stream.js';

const $ = (id) => document.getElementById(id);
let state = null;
let lastEndedShown = null;

/** Call the API with JSON; returns {ok, status, body}. */
async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  let parsed = null;
  try {
    parsed = await res.json();
  } catch {
    parsed = null;
  }
  return { ok: res.ok, status: res.status, body: parsed };
}

/** The run shown: the active one, else the one bookmarked in the URL, else the last one that ended. */
function shownRun() {
  const status = state?.status;
  if (status?.run) return { live: true, run: status.run, state: status.state };
  return null;
}

/** Fill the current-run panel from live state. */
function renderLive(run, runState) {
  const now = Date.now() + (state.offsetMs || 0);
  $('run-title').textContent = 'Current run';
  $('run-empty').hidden = true;
  $('run-body').hidden = false;
  $('run-id').textContent = run.id;
  $('state').textContent = runState;
  $('run-argv').textContent = run.argv.join(' ');
  $('run-pid').textContent = run.pid ?? '–';
  $('run-elapsed').textContent = run.startedAt ? formatDuration(now - run.startedAt) : '–';
  const aborting = runState === 'aborting';
  $('abort').hidden = aborting;
  $('abort').disabled = !(runState === 'running' || runState === 'stalled');
  $('force').hidden = !(aborting && run.abort && !run.abort.forced);
  const info = $('abort-info');
  info.hidden = run.abort === null;
  if (run.abort) {
    info.textContent = run.abort.forced
      ? 'Aborting: SIGKILL sent to the process group.'
      : `Aborting: SIGINT sent; SIGKILL in ${formatDuration(Math.max(0, run.abort.killAt - now))} if still running.`;
  }
  const progress = state.progress?.runId === run.id ? state.progress.view : null;
  const logs = state.logs?.runId === run.id ? state.logs.tails : null;
  renderProgress(progress);
  renderLogs(logs);
}

/** The progress bar, step/total, ETA, phase, message and plot. */
function renderProgress(p, ended = false) {
  const percent = p?.percent ?? null;
  $('bar').setAttribute('aria-valuenow', String(Math.round(percent ?? 0)));
  $('bar-fill').style.width = `${Math.max(0, Math.min(100, percent ?? 0))}%`;
  const steps = p && p.step !== null ? `${p.step}${p.total !== null ? ` / ${p.total}` : ''}` : '';
  const eta = p && p.etaMs !== null && !ended ? ` · ETA ${formatDuration(p.etaMs)}` : '';
  $('bar-text').textContent = `${percent === null ? '' : `${percent.toFixed(1)}% `}${steps}${eta}`;
  $('run-phase').textContent = p?.phase ?? '–';
  const bad = p?.badEvents
    ? `warning: events.ndjson line ${p.badEvents.line} was skipped: ${p.badEvents.reason}`
    : null;
  $('run-message').textContent = p?.lastError ? `error: ${p.lastError.message}` : (bad ?? p?.message ?? '');
  const metric = p?.metrics.find((m) => m.name === 'loss') ?? p?.metrics[0] ?? null;
  $('plot-title').textContent = metric
    ? `${metric.name} (latest ${Number(metric.value).toPrecision(4)})`
    : 'no metrics yet';
  drawPlot($('plot'), metric);
}

/** The log tail (stdout, then the last stderr lines). */
function renderLogs(logs) {
  const log = $('log');
  const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
  const lines = logs ? [...logs.stdout, ...logs.stderr.slice(-10).map((l) => `[stderr] ${l}`)] : [];
  renderLogLines(log, lines);
  if (atBottom) log.scrollTop = log.scrollHeight;
}

/** The frozen view of an ended run: its record, and the last progress and logs seen. */
function renderFrozen(frozen) {
  const r = frozen.record;
  $('run-title').textContent = 'Last run (ended)';
  $('run-empty').hidden = true;
  $('run-body').hidden = false;
  $('run-id').textContent = r.runId;
  $('state').textContent =
    `ended: ${r.outcome}${r.exitCode !== null ? ` (exit ${r.exitCode})` : ''}${r.signal ? ` (${r.signal})` : ''}${r.reason ? ` – ${r.reason}` : ''}`;
  $('run-argv').textContent = r.config.argv.join(' ');
  $('run-pid').textContent = '–';
  $('run-elapsed').textContent = r.startedAt ? formatDuration(r.endedAt - r.startedAt) : '–';
  $('abort').hidden = true;
  $('force').hidden = true;
  $('abort-info').hidden = true;
  renderProgress(frozen.progress, true);
  const logs = frozen.logs;
  const empty = !logs || (logs.stdout.length === 0 && logs.stderr.length === 0);
  renderLogs(empty ? { stdout: [], stderr: r.stderrTail ?? [] } : logs);
}

/** Everything that depends on the live state. */
function render() {
  if (state === null) return;
  const status = state.status;
  const badge = $('workspace-state');
  badge.textContent = status.state;
  badge.className = `badge ${status.state}`;
  document.body.dataset.state = status.state;
  const shown = shownRun();
  const bookmarked = bookmarkedRun();
  if (shown && (bookmarked === null || bookmarked === shown.run.id)) renderLive(shown.run, shown.state);
  else if (bookmarked !== null && bookmarkedView !== null) renderFrozen(bookmarkedView);
  else if (state.lastEnded) renderFrozen(state.lastEnded);
  else {
    $('run-empty').hidden = false;
    $('run-body').hidden = true;
  }
  const idle = status.state === 'idle';
  $('start-fields').disabled = !idle;
  $('start-hint').textContent = idle
    ? ''
    : `A run can start when the workspace is idle (now: ${status.state}).`;
  const endedId = state.lastEnded?.record.runId ?? null;
  if (endedId !== lastEndedShown) {
    lastEndedShown = endedId;
    loadHistory();
  }
}

let bookmarkedView = null;
/** The run id in the URL (/runs/<id>), or null. */
function bookmarkedRun() {
  const m = /^\/runs\/([A-Za-z0-9][A-Za-z0-9._-]{0,127})$/.exec(location.pathname);
  return m ? m[1] : null;
}

/** Load the bookmarked run's view (ended runs are frozen; the active one renders live). */
async function loadBookmarked() {
  const id = bookmarkedRun();
  if (id === null) return;
  const res = await api('GET', `/api/runs/${id}`);
  if (!res.ok) {
    toast($('toasts'), 'error', res.body?.error?.message ?? `run ${id} not found`);
    return;
  }
  const run = res.body;
  if (run.record) bookmarkedView = { record: run.record, progress: run.progress, logs: run.logs };
  render();
  if (!run.active && run.dirExists) await openReplay(id);
}

/** The history table (newest first). */
async function loadHistory() {
  const res = await api('GET', '/api/runs?limit=50');
  if (!res.ok) return;
  const body = $('history').tBodies[0];
  body.replaceChildren(
    ...res.body.runs.map((r) => {
      const row = document.createElement('tr');
      const link = document.createElement('a');
      link.href = `/runs/${encodeURIComponent(r.id)}`;
      link.textContent = r.id;
      const replay = document.createElement('button');
      replay.type = 'button';
      replay.className = 'replay';
      replay.textContent = 'Replay';
      replay.setAttribute('aria-label', `Replay the transitions of ${r.id}`);
      replay.addEventListener('click', () => showReplay(r.id));
      const cells = [link, r.outcome, formatTime(r.startedAt), formatDuration(r.durationMs), replay];
      for (const [i, content] of cells.entries()) {
        const cell = document.createElement('td');
        cell.append(content);
        if (i === 1) cell.className = r.outcome;
        row.append(cell);
      }
      return row;
    }),
  );
}

/** Open a run's replay in the state view and bring it into view. */
async function showReplay(id) {
  if (!(await openReplay(id))) {
    toast($('toasts'), 'warning', `run ${id} has no lifecycle journal (its directory may have been deleted)`);
    return;
  }
  $('state-view').scrollIntoView({ block: 'start' });
}

/** Abort: confirm what will happen, then ask the server (a run already ended is not an error). */
function setUpAbort() {
  const dialog = $('abort-dialog');
  $('abort').addEventListener('click', () => {
    const run = state?.status.run;
    if (!run) return;
    $('abort-what').textContent =
      `SIGINT goes to the job's process group (${run.id}, pid ${run.pid}). If it is still running after ${formatDuration(run.graceMs)}, it gets SIGKILL. The run is recorded as aborted.`;
    dialog.dataset.runId = run.id;
    dialog.showModal();
  });
  dialog.addEventListener('close', async () => {
    if (dialog.returnValue !== 'abort') return;
    await sendAbort({ runId: dialog.dataset.runId });
  });
  $('force').addEventListener('click', () => sendAbort({ runId: state?.status.run?.id, force: true }));
}

/** POST /api/abort; 409 (already ended) is quiet, since the stream shows the truth anyway. */
async function sendAbort(body) {
  const res = await api('POST', '/api/abort', body);
  if (!res.ok && res.status !== 409) toast($('toasts'), 'error', res.body?.error?.message ?? 'abort failed');
}

/** Start: argv from the textarea, one argument per line; the live state decides when it is allowed. */
function setUpStart() {
  $('start-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const argv = $('argv')
      .value.split('\n')
      .map((a) => a.trim())
      .filter((a) => a !== '');
    const name = $('name').value.trim();
    const graceMs = Math.round(Number($('grace').value || '30') * 1000);
    const res = await api('POST', '/api/runs', { argv, graceMs, ...(name ? { name } : {}) });
    if (!res.ok)
      toast(
        $('toasts'),
        res.status === 409 ? 'warning' : 'error',
        res.body?.error?.message ?? 'start failed',
      );
  });
}

/** Trade a `#token=` fragment for the HttpOnly cookie, and drop it from the address bar. */
async function logInFromFragment() {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!m) return;
  history.replaceState(null, '', location.pathname + location.search);
  const res = await api('POST', '/api/login', { token: decodeURIComponent(m[1]) });
  if (!res.ok) showLogin(loginMessage(res));
}

/** What to tell the user about a refused login. */
function loginMessage(res) {
  if (res.status === 429) return res.body?.error?.message ?? 'too many wrong tokens; wait and retry';
  if (res.status === 401) return 'the token was refused';
  return res.body?.error?.message ?? `login failed (HTTP ${res.status})`;
}

/** Show the login screen instead of the dashboard (no token, or a wrong one). */
function showLogin(message) {
  $('login').hidden = false;
  document.querySelector('main').hidden = true;
  $('connection').textContent = 'logged out';
  $('connection').className = 'conn down';
  $('login-error').hidden = message === null;
  $('login-error').textContent = message ?? '';
  $('login-token').focus();
}

/** Whether the API accepts this page (cookie set, or the server needs no token). */
async function authorised() {
  const res = await api('GET', '/api/status');
  return res.status !== 401 && res.status !== 429;
}

/** The login form: on success the page starts over with the cookie set. */
function setUpLogin() {
  $('login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const res = await api('POST', '/api/login', { token: $('login-token').value.trim() });
    if (res.ok) location.reload();
    else showLogin(loginMessage(res));
  });
}

/** Messages from the shared stream. */
function onMessage(message) {
  if (message.kind === 'connection') {
    $('connection').textContent = message.up ? 'live' : 'reconnecting…';
    $('connection').className = message.up ? 'conn' : 'conn down';
    // A stream that drops may have lost its login (another token): ask the API which.
    if (!message.up) authorised().then((ok) => ok || showLogin('the server no longer accepts this page'));
  } else if (message.kind === 'notice') {
    toast($('toasts'), message.notice.level, message.notice.message);
  } else if (message.kind === 'state') {
    state = message.state;
    setLiveState(state.machineState);
    render();
  }
}

setUpLogin();
await logInFromFragment();
if (await authorised()) {
  setUpAbort();
  setUpStart();
  setUpStateView();
  document.body.dataset.stream = subscribe(onMessage);
  loadHistory();
  loadBookmarked();
  setInterval(render, 1000);
} else if ($('login').hidden) {
  showLogin(null);
}
