// The Queue and slots page (/queue): the slots with their runs and the queue with move, hold and
// release, drawn from GET /api/slots and /api/queue when the server has them (issue 12).
import { api, errorText, getJson, has } from './api.js';
import { idCell, toast } from './render.js';

const $ = (id) => document.getElementById(id);

export class QueuePage {
  constructor() {
    for (const [id, path] of [
      ['queue-pause', '/api/queue/pause'],
      ['queue-resume', '/api/queue/resume'],
    ]) {
      $(id).addEventListener('click', async () => {
        const res = await api('POST', path, {});
        if (!res.ok) toast($('toasts'), 'error', errorText(res, `${path} failed`));
        this.open();
      });
    }
  }

  /** Redraw on the stream's queue and slots events. */
  onState(_state, event) {
    if (event === 'queue' || event === 'slots') this.open();
  }

  async open() {
    const [queue, slots] = await Promise.all([
      has('GET /api/queue') ? getJson('/api/queue') : null,
      has('GET /api/slots') ? getJson('/api/slots') : null,
    ]);
    if (queue === null && slots === null) {
      $('queue-missing').hidden = false;
      return;
    }
    $('queue-body').hidden = false;
    this.render(queue, slots);
  }

  render(queue, slots) {
    const hold = queue?.hold ?? null;
    $('queue-hold').hidden = hold === null;
    $('queue-pause').hidden = hold !== null;
    const corrupt = queue?.corrupt ?? [];
    $('queue-corrupt').hidden = corrupt.length === 0;
    $('queue-corrupt').textContent = corrupt.length
      ? `Unreadable queue entries (never started): ${corrupt.map((c) => `${c.name}: ${c.detail}`).join('; ')}`
      : '';
    $('queue-resume').hidden = hold === null;
    if (hold)
      $('queue-hold').textContent =
        `The queue is paused (${hold.reason ?? 'held'}): nothing starts until it is resumed (runwarden queue resume).`;
    const slotList = Array.isArray(slots) ? slots : (slots?.slots ?? []);
    $('slots-table').tBodies[0].replaceChildren(
      ...slotList.map((s) => {
        const tr = document.createElement('tr');
        for (const v of [s.name, s.gpu ?? '–']) {
          const td = document.createElement('td');
          td.textContent = typeof v === 'object' ? (v.uuid ?? v.index ?? JSON.stringify(v)) : String(v);
          tr.append(td);
        }
        const run = document.createElement('td');
        if (s.runId === '?') run.textContent = 'held by an unreadable lock';
        else if (s.runId) run.append(idCell(s.runId, `/runs/${encodeURIComponent(s.runId)}`));
        else run.textContent = 'free';
        tr.append(run);
        return tr;
      }),
    );
    $('queue-table').tBodies[0].replaceChildren(
      ...(queue?.entries ?? []).map((e) => {
        const tr = document.createElement('tr');
        const cells = [String(e.position), null, String(e.priority), (e.waitingFor ?? []).join(', ')];
        cells.forEach((text, i) => {
          const td = document.createElement('td');
          if (i === 1) td.append(idCell(e.runId, null), document.createTextNode(` ${e.name ?? ''}`));
          else td.textContent = text;
          tr.append(td);
        });
        const actions = document.createElement('td');
        const who = e.name || e.runId;
        const button = (label, path, body, spoken = `${label} ${who}`) => {
          const b = document.createElement('button');
          b.type = 'button';
          b.className = 'small';
          b.textContent = label;
          // The arrows alone say nothing to a screen reader: each button names its action and run.
          b.setAttribute('aria-label', spoken);
          b.title = spoken;
          b.addEventListener('click', async () => {
            const res = await api('POST', path, body);
            if (!res.ok) toast($('toasts'), 'error', errorText(res, `${label} failed`));
            this.open();
          });
          actions.append(b);
        };
        const id = encodeURIComponent(e.runId);
        button(
          '▲',
          `/api/queue/${id}/move`,
          { priority: (e.priority ?? 0) + 1 },
          `raise the priority of ${who}`,
        );
        button(
          '▼',
          `/api/queue/${id}/move`,
          { priority: (e.priority ?? 0) - 1 },
          `lower the priority of ${who}`,
        );
        if (e.held) button('release', `/api/queue/${id}/release`, {});
        else button('hold', `/api/queue/${id}/hold`, {});
        button('remove', `/api/queue/${id}/rm`, {});
        tr.append(actions);
        return tr;
      }),
    );
  }
}
