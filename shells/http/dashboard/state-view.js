// The Debug page's state view (issue 18: on its own page, zoom and pan, the replay in human
// terms with times relative to the run's start and the raw JSON folded). The statechart (Mermaid text from /api/statechart, drawn in the page
// by the vendored Mermaid bundle, no network) with the live machine state highlighted, and the
// replay of a run's journal (/api/runs/:id/journal) step by step.

const $ = (id) => document.getElementById(id);
/** Characters of one context value shown at most. */
const contextValueCharsMax = 300;

/** The machine's root id: Mermaid node ids are `runwarden_<path with underscores>`. */
const rootId = 'runwarden';

/** Elements of the drawn chart by dotted state path (`live.running.healthy`). */
let nodes = new Map();
let liveState = null;
let replay = null;

/** Load Mermaid's bundle (a classic script that sets globalThis.mermaid) once. */
let mermaidLoad = null;
function loadMermaid() {
  mermaidLoad ??= new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = '/vendor/mermaid.min.js';
    script.onload = () =>
      globalThis.mermaid ? resolve(globalThis.mermaid) : reject(new Error('no mermaid'));
    script.onerror = () => reject(new Error('/vendor/mermaid.min.js did not load'));
    document.head.append(script);
  });
  return mermaidLoad;
}

/** Whether `text` contains `id` as a whole token (so `runwarden_live` does not match `…_live_running`). */
function hasToken(text, id) {
  let at = text.indexOf(id);
  while (at >= 0) {
    const before = at === 0 ? '' : text[at - 1];
    const after = text[at + id.length] ?? '';
    if (!/[A-Za-z0-9_]/.test(before) && !/[A-Za-z0-9_]/.test(after)) return true;
    at = text.indexOf(id, at + 1);
  }
  return false;
}

/** Map each state to the element Mermaid drew for it (a node, or a cluster for a compound state). */
function indexSvg(svg, states) {
  const found = new Map();
  const candidates = [...svg.querySelectorAll('g[id]')];
  for (const stateId of states) {
    const token = stateId.replaceAll('.', '_');
    const el =
      candidates.find((g) => g.classList.contains('node') && hasToken(g.id, token)) ??
      candidates.find((g) => hasToken(g.id, token));
    if (el === undefined) continue;
    el.dataset.stateId = stateId;
    found.set(stateId.slice(rootId.length + 1), el);
  }
  return found;
}

/** The plain fallback when Mermaid cannot draw: the states as a nested list. */
function drawList(container, states) {
  const lists = new Map([['', document.createElement('ul')]]);
  const found = new Map();
  for (const stateId of states) {
    const path = stateId.slice(rootId.length + 1);
    const parent = path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : '';
    const item = document.createElement('li');
    const name = document.createElement('span');
    name.textContent = path.slice(path.lastIndexOf('.') + 1);
    name.dataset.stateId = stateId;
    item.append(name);
    const sub = document.createElement('ul');
    item.append(sub);
    lists.set(path, sub);
    (lists.get(parent) ?? lists.get(''))?.append(item);
    found.set(path, name);
  }
  container.replaceChildren(lists.get(''));
  return found;
}

/** Draw the statechart once; falls back to a list of the states when Mermaid fails. */
async function drawChart() {
  const container = $('chart');
  const res = await fetch('/api/statechart', { credentials: 'same-origin' });
  if (!res.ok) {
    container.textContent = 'The statechart could not be loaded.';
    return;
  }
  const chart = await res.json();
  try {
    const mermaid = await loadMermaid();
    const dark = matchMedia('(prefers-color-scheme: dark)').matches;
    mermaid.initialize({ startOnLoad: false, securityLevel: 'strict', theme: dark ? 'dark' : 'neutral' });
    const { svg } = await mermaid.render('rw-statechart-svg', chart.mermaid);
    container.innerHTML = svg;
    nodes = indexSvg(container.querySelector('svg'), chart.states);
    container.dataset.drawn = 'mermaid';
    // Native size first: labels at the page's font size (pan to move, Fit to see it whole).
    const drawn = container.querySelector('svg');
    const box = drawn.viewBox.baseVal;
    if (box && box.width > 0) {
      drawn.setAttribute('width', String(box.width));
      drawn.setAttribute('height', String(box.height));
      drawn.style.maxWidth = 'none';
    }
    view.scale = 1;
    applyView();
  } catch (error) {
    nodes = drawList(container, chart.states);
    container.dataset.drawn = 'list';
    $('chart-note').textContent = `Drawn as a list: ${error?.message ?? 'Mermaid failed'}.`;
  }
  highlight();
}

/** Mark the state shown (the replay's step, else the live state) and its ancestors. */
function highlight() {
  const path = replay === null ? liveState : (replay.entries[replay.index]?.to ?? null);
  for (const el of nodes.values()) el.classList.remove('rw-current', 'rw-current-parent');
  $('chart').dataset.current = path ?? '';
  $('chart-state').textContent = path ?? '–';
  $('chart-mode').textContent = replay === null ? 'live' : `replay of ${replay.runId}`;
  if (path === null) return;
  const parts = path.split('.');
  for (let i = 1; i <= parts.length; i++) {
    const el = nodes.get(parts.slice(0, i).join('.'));
    el?.classList.add(i === parts.length ? 'rw-current' : 'rw-current-parent');
  }
  centreOn(nodes.get(path));
}

/** Show the live machine state (from the shared stream). */
export function setLiveState(machineState) {
  if (typeof machineState !== 'string' || machineState === liveState) return;
  liveState = machineState;
  if (replay === null) highlight();
}

/** A context value as short text. */
function valueText(value) {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > contextValueCharsMax ? `${text.slice(0, contextValueCharsMax)}…` : text;
}

/** Plain words for the machine's events, as a user would name them. */
const eventWords = {
  'run.start': 'start requested',
  'run.abort': 'abort requested',
  'run.force': 'force (SIGKILL) requested',
  'run.recover': 'recovery requested',
  'process.exited': 'the job exited',
  'process.lost': 'the job was lost',
  'abort.recorded': 'the abort was recorded',
  'job.activity': 'the job showed activity',
  'lock.appeared': 'another process started a run',
  'command.rejected': 'a command was refused',
};

/** `spawnJob` → `spawn job`. */
const words = (name) => name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();

/** An event type in plain words (`xstate.done.actor.spawnJob` → `spawn job finished`). */
export function humanEvent(type) {
  if (eventWords[type]) return eventWords[type];
  let m = /^xstate\.done\.actor\.(.+)$/.exec(type);
  if (m) return `${words(m[1].split('.')[0])} finished`;
  m = /^xstate\.error\.actor\.(.+)$/.exec(type);
  if (m) return `${words(m[1].split('.')[0])} failed`;
  if (type.startsWith('xstate.after')) return 'a timer fired';
  if (type === 'xstate.init') return 'the session opened';
  return type;
}

/** `+1.2s`, `+3m05s` from the first entry's time. */
function relative(entries, entry) {
  const timeOf = (e) => (typeof e?.t === 'number' ? e.t : Date.parse(e?.t ?? ''));
  const t0 = timeOf(entries.find((e) => Number.isFinite(timeOf(e))));
  const t = timeOf(entry);
  if (!Number.isFinite(t0) || !Number.isFinite(t)) return '–';
  const ms = t - t0;
  if (ms < 60_000) return `+${(ms / 1000).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  return `+${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** The list of every step of the replay, in words; the current one marked. */
function renderList() {
  const list = $('replay-list');
  const { entries, index } = replay;
  if (list.dataset.run !== replay.runId) {
    list.dataset.run = replay.runId;
    list.replaceChildren(
      ...entries.map((entry, i) => {
        const li = document.createElement('li');
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'link';
        button.textContent = `${relative(entries, entry)} ${humanEvent(entry.event)}${entry.detail ? ` (${entry.detail})` : ''} → ${entry.to}`;
        button.addEventListener('click', () => goTo(i));
        li.append(button);
        return li;
      }),
    );
  }
  [...list.children].forEach((li, i) => {
    if (i === index) li.setAttribute('aria-current', 'step');
    else li.removeAttribute('aria-current');
  });
}

/** Show the replay's current step: time, transition, pid, context. */
function showStep() {
  const { entries, index } = replay;
  const entry = entries[index];
  const slider = $('replay-slider');
  slider.max = String(Math.max(0, entries.length - 1));
  slider.value = String(index);
  $('replay-prev').disabled = index <= 0;
  $('replay-next').disabled = index >= entries.length - 1;
  $('replay-pos').textContent = entries.length === 0 ? '0 / 0' : `${index + 1} / ${entries.length}`;
  if (entry === undefined) {
    $('replay-transition').textContent = 'this run has no recorded transitions';
    for (const id of ['replay-time', 'replay-pid']) $(id).textContent = '–';
    $('replay-context').replaceChildren();
    highlight();
    return;
  }
  const event = entry.detail === null ? entry.event : `${entry.event}(${entry.detail})`;
  const transition = `${entry.from ?? '(start)'} --${event}--> ${entry.to}`;
  $('replay-transition').textContent = transition;
  slider.setAttribute('aria-valuetext', `step ${index + 1} of ${entries.length}: ${transition}`);
  $('replay-time').textContent = entry.t
    ? `${relative(entries, entry)} after the first step (${new Date(entry.t).toLocaleString()})`
    : '–';
  $('replay-human').textContent =
    `${relative(entries, entry)}: ${humanEvent(entry.event)}${entry.detail ? ` (${entry.detail})` : ''}, so the run went from ${entry.from ?? 'nothing'} to ${entry.to}.`;
  $('replay-json').textContent = JSON.stringify(entry, null, 2);
  renderList();
  $('replay-pid').textContent = String(entry.pid);
  const context = entry.context && typeof entry.context === 'object' ? Object.entries(entry.context) : [];
  $('replay-context').replaceChildren(
    ...context.flatMap(([key, value]) => {
      const dt = document.createElement('dt');
      dt.textContent = key;
      const dd = document.createElement('dd');
      dd.textContent = valueText(value);
      return [dt, dd];
    }),
  );
  $('replay-context-empty').hidden = context.length > 0;
  highlight();
}

/** Open the replay of run `runId` at its first transition; returns false when it has no journal. */
export async function openReplay(runId) {
  const res = await fetch(`/api/runs/${encodeURIComponent(runId)}/journal`, { credentials: 'same-origin' });
  if (!res.ok) return false;
  replay = { runId, entries: await res.json(), index: 0 };
  $('replay').hidden = false;
  $('replay-run').textContent = runId;
  showStep();
  return true;
}

/** Move the replay to step `index` (clamped). */
function goTo(index) {
  if (replay === null) return;
  replay.index = Math.max(0, Math.min(replay.entries.length - 1, index));
  showStep();
}

/** Zoom and pan of the chart: a CSS transform on the drawn chart inside its viewport. */
const view = { scale: 1, x: 0, y: 0 };
function applyView() {
  $('chart').style.transform = `translate(${view.x}px, ${view.y}px) scale(${view.scale})`;
  $('chart').dataset.scale = view.scale.toFixed(2);
}
/** Pan so that `el` (the state shown) is in the middle of the viewport, unless the user moved the chart. */
function centreOn(el) {
  if (!el || view.moved) return;
  const viewport = $('chart-viewport').getBoundingClientRect();
  const box = el.getBoundingClientRect();
  if (box.width === 0) return;
  view.x += viewport.left + viewport.width / 2 - (box.left + box.width / 2);
  view.y += viewport.top + viewport.height / 2 - (box.top + box.height / 2);
  applyView();
}

/** Fit the chart's width into the viewport. */
function fitChart() {
  const svg = $('chart').querySelector('svg');
  const viewport = $('chart-viewport');
  if (!svg) return;
  svg.style.maxWidth = 'none';
  const width = svg.getBoundingClientRect().width / view.scale || 1;
  view.scale = Math.min(2, Math.max(0.2, (viewport.clientWidth - 16) / width));
  view.x = 8;
  view.y = 8;
  applyView();
}
function zoom(factor, cx = 0, cy = 0) {
  view.moved = true;
  const next = Math.min(6, Math.max(0.1, view.scale * factor));
  view.x = cx - ((cx - view.x) * next) / view.scale;
  view.y = cy - ((cy - view.y) * next) / view.scale;
  view.scale = next;
  applyView();
}
function setUpZoom() {
  const viewport = $('chart-viewport');
  $('zoom-in').addEventListener('click', () => zoom(1.25));
  $('zoom-out').addEventListener('click', () => zoom(0.8));
  $('zoom-fit').addEventListener('click', () => {
    view.moved = true;
    fitChart();
  });
  viewport.addEventListener(
    'wheel',
    (e) => {
      e.preventDefault();
      const box = viewport.getBoundingClientRect();
      zoom(e.deltaY < 0 ? 1.1 : 0.9, e.clientX - box.left, e.clientY - box.top);
    },
    { passive: false },
  );
  let drag = null;
  viewport.addEventListener('pointerdown', (e) => {
    drag = { x: e.clientX - view.x, y: e.clientY - view.y };
    viewport.setPointerCapture(e.pointerId);
  });
  viewport.addEventListener('pointermove', (e) => {
    if (drag === null) return;
    view.moved = true;
    view.x = e.clientX - drag.x;
    view.y = e.clientY - drag.y;
    applyView();
  });
  viewport.addEventListener('pointerup', () => {
    drag = null;
  });
}

/** Wire the controls and draw the chart. */
export function setUpStateView() {
  setUpZoom();
  $('replay-prev').addEventListener('click', () => goTo((replay?.index ?? 0) - 1));
  $('replay-next').addEventListener('click', () => goTo((replay?.index ?? 0) + 1));
  $('replay-slider').addEventListener('input', (e) => goTo(Number(e.target.value)));
  $('replay-close').addEventListener('click', () => {
    replay = null;
    $('replay').hidden = true;
    highlight();
  });
  drawChart().catch(() => {
    $('chart').textContent = 'The statechart could not be drawn.';
  });
}
