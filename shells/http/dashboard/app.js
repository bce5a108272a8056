// The dashboard: logs the page in (the #token= fragment or the login screen), opens the shared
// stream (one for every tab) and shows the page the path names: Runs (/), Run (/runs/<id>),
// Compare (/compare?ids=…), Queue (/queue) and Debug (/debug). Everything it shows of a run comes
// from the stream's state or the API (never a local flag).
import { api, getJson, has, loadFeatures } from './api.js';
import { ComparePage } from './compare-page.js';
import { QueuePage } from './queue-page.js';
import { toast } from './render.js';
import { RunPage } from './run-page.js';
import { RunsPage } from './runs-page.js';
import { openReplay, setLiveState, setUpStateView } from './state-view.js';
import { subscribe } from './stream.js';

const $ = (id) => document.getElementById(id);

/** Which page the path names, and its argument. */
function route() {
  const run = /^\/runs\/([A-Za-z0-9][A-Za-z0-9._-]{0,127})$/.exec(location.pathname);
  if (run) return { page: 'run', id: decodeURIComponent(run[1]) };
  const path = location.pathname.replace(/\/+$/, '');
  const last = path.slice(path.lastIndexOf('/') + 1);
  if (last === 'compare') return { page: 'compare' };
  if (last === 'queue') return { page: 'queue' };
  if (last === 'debug') return { page: 'debug' };
  return { page: 'runs' };
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
  $('main').hidden = true;
  document.querySelector('header nav').hidden = true;
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

/** Show one page; returns its controller (with onState/tick when it follows the stream). */
async function openPage(where) {
  for (const section of document.querySelectorAll('main > .page')) section.hidden = true;
  $(`page-${where.page}`).hidden = false;
  document.body.dataset.page = where.page;
  for (const link of document.querySelectorAll('header nav a')) {
    if (link.dataset.page === where.page || (where.page === 'run' && link.dataset.page === 'runs')) {
      link.setAttribute('aria-current', 'page');
    } else link.removeAttribute('aria-current');
  }
  if (where.page === 'run') {
    document.title = `${where.id} · runwarden`;
    const page = new RunPage(where.id);
    page.open();
    return page;
  }
  if (where.page === 'compare') {
    const ids = (new URLSearchParams(location.search).get('ids') ?? '').split(',').filter(Boolean);
    const page = new ComparePage(ids.slice(0, 12));
    page.open();
    return { onState: () => {} };
  }
  if (where.page === 'queue') {
    const page = new QueuePage();
    page.open();
    return page;
  }
  if (where.page === 'debug') {
    setUpStateView();
    const history = await getJson('/api/runs?limit=50');
    const pick = $('replay-pick');
    for (const r of history?.runs ?? []) {
      const option = document.createElement('option');
      option.value = r.id;
      option.textContent = `${r.id} (${r.outcome})`;
      pick.append(option);
    }
    pick.addEventListener('change', () => pick.value && showReplay(pick.value));
    const wanted = new URLSearchParams(location.search).get('run');
    if (wanted) {
      pick.value = wanted;
      showReplay(wanted);
    }
    return { onState: () => {} };
  }
  const page = new RunsPage();
  page.open();
  return page;
}

/** Open a run's replay on the Debug page. */
async function showReplay(id) {
  if (!(await openReplay(id))) {
    toast($('toasts'), 'warning', `run ${id} has no lifecycle journal (its directory may have been deleted)`);
  }
}

let page = null;
let state = null;

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
    const status = state.status;
    $('workspace-state').textContent = status.state;
    $('workspace-state').className = `badge ${status.state}`;
    document.body.dataset.state = status.state;
    $('nav-queue').hidden = !has('GET /api/queue');
    setLiveState(state.machineState);
    page?.onState(state, message.event);
  }
}

setUpLogin();
await logInFromFragment();
if (await authorised()) {
  await loadFeatures();
  $('nav-queue').hidden = !has('GET /api/queue');
  page = await openPage(route());
  document.body.dataset.stream = subscribe(onMessage);
  setInterval(() => page?.tick?.(), 1000);
} else if ($('login').hidden) {
  showLogin(null);
}
