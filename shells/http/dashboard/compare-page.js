// The Compare page (/compare?ids=a,b,c): one metric's curves of the chosen runs overlaid (x by
// step or time since each run's start), and a table of params, final metrics, outcome and git
// commit side by side. Params and git come from GET /api/compare when the server has it (issue 17).
import { getJson, has } from './api.js';
import { ChartPanel, palette, smooth, xyOf } from './charts.js';
import { formatDuration, formatValue, idCell } from './render.js';

const $ = (id) => document.getElementById(id);

/** Every metric point of a run (the events file read to its end). */
export async function allMetrics(runId) {
  const metrics = new Map();
  let from = 0;
  for (;;) {
    const body = await getJson(`/api/runs/${encodeURIComponent(runId)}/metrics?from=${from}`);
    if (body === null) break;
    for (const [name, points] of Object.entries(body.metrics)) {
      const held = metrics.get(name);
      if (held) for (const p of points) held.push(p);
      else metrics.set(name, points);
    }
    if (!(body.to > from && body.to < body.size)) break;
    from = body.to;
  }
  return metrics;
}

/** One x array for several runs' [xs, ys]: the union of their xs, each run's ys null where it has none. */
export function alignSeries(list) {
  const all = [...new Set(list.flatMap(([xs]) => xs))].sort((a, b) => a - b);
  const at = new Map(all.map((x, i) => [x, i]));
  const columns = list.map(([xs, ys]) => {
    const col = new Array(all.length).fill(null);
    xs.forEach((x, i) => {
      col[at.get(x)] = ys[i];
    });
    return col;
  });
  return [all, columns];
}

export class ComparePage {
  constructor(ids) {
    this.ids = ids;
    this.runs = [];
    this.panel = null;
    for (const id of ['compare-metric', 'compare-x', 'compare-log'])
      $(id).addEventListener('change', () => this.draw());
    $('compare-smoothing').addEventListener('input', () => this.draw());
  }

  async open() {
    if (this.ids.length === 0) return;
    $('compare-empty').hidden = true;
    $('compare-body').hidden = false;
    const [extra, ...runs] = await Promise.all([
      has('GET /api/compare') && this.ids.length >= 2
        ? getJson(`/api/compare?runs=${this.ids.map(encodeURIComponent).join(',')}`)
        : null,
      ...this.ids.map(async (id) => ({
        id,
        detail: await getJson(`/api/runs/${encodeURIComponent(id)}`),
        metrics: await allMetrics(id),
      })),
    ]);
    this.extra = extra;
    this.runs = runs;
    const names = [...new Set(runs.flatMap((r) => [...r.metrics.keys()]))].filter(
      (n) => !n.startsWith('sys/'),
    );
    const select = $('compare-metric');
    select.replaceChildren(
      ...names.map((n) => {
        const o = document.createElement('option');
        o.value = n;
        o.textContent = n;
        return o;
      }),
    );
    if (names.includes('loss')) select.value = 'loss';
    this.draw();
    this.renderTable(names);
    document.body.dataset.compared = String(runs.length);
  }

  draw() {
    const name = $('compare-metric').value;
    if (!name) return;
    const xMode = $('compare-x').value === 'step' ? 'step' : 'relative';
    const weight = Number($('compare-smoothing').value);
    const list = this.runs.map((r) => {
      const points = r.metrics.get(name) ?? [];
      const t0 = r.detail?.record?.startedAt ?? r.detail?.run?.startedAt ?? points[0]?.[1] ?? 0;
      return xyOf(points, xMode, t0);
    });
    const [xs, columns] = alignSeries(list);
    this.panel ??= new ChartPanel($('compare-chart'), 'compare');
    this.panel.draw(
      {
        title: `${name} across ${this.runs.length} runs`,
        xMode,
        yLabel: name,
        log: $('compare-log').checked,
        series: this.runs.map((r, i) => ({
          label: r.detail?.record?.name ? `${r.detail.record.name} ${r.id}` : r.id,
          ys: smooth(columns[i], weight),
          raw: columns[i],
          colour: palette[i % palette.length],
        })),
      },
      xs,
    );
  }

  /** Facts side by side: a row per fact, a column per run. */
  renderTable(names) {
    // GET /api/compare (issue 17): runs[] with params and git, in the order asked.
    const byId = new Map((this.extra?.runs ?? []).map((r) => [r.id, r]));
    const paramKeys = (this.extra?.params ?? []).map((p) => p.name);
    const head = document.createElement('tr');
    const corner = document.createElement('th');
    corner.scope = 'col';
    corner.textContent = 'Run';
    head.append(corner);
    this.runs.forEach((r, i) => {
      const th = document.createElement('th');
      th.scope = 'col';
      th.style.borderTop = `3px solid ${palette[i % palette.length]}`;
      th.append(idCell(r.id, `/runs/${encodeURIComponent(r.id)}`));
      head.append(th);
    });
    $('compare-table').tHead.replaceChildren(head);
    const rec = (r) => r.detail?.record ?? null;
    const facts = [
      ['outcome', (r) => rec(r)?.outcome ?? (r.detail?.active ? 'running' : '–')],
      ['duration', (r) => (rec(r)?.startedAt ? formatDuration(rec(r).endedAt - rec(r).startedAt) : '–')],
      [
        'git commit',
        (r) => {
          const g = byId.get(r.id)?.git;
          return g ? (g.commit ?? g.sha ?? '–') : '–';
        },
      ],
      ['command', (r) => (r.detail?.config?.argv ?? []).join(' ')],
      ...paramKeys.map((k) => [
        `param ${k}`,
        (r) => {
          const v = byId.get(r.id)?.params?.[k];
          return v === undefined || v === null ? '–' : typeof v === 'string' ? v : JSON.stringify(v);
        },
      ]),
      ['tags', (r) => (byId.get(r.id)?.tags ?? r.detail?.record?.tags ?? []).join(', ') || '–'],
      ...names.map((n) => [
        `final ${n}`,
        (r) => {
          const p = r.metrics.get(n);
          return formatValue(p?.[p.length - 1]?.[2] ?? null);
        },
      ]),
    ];
    $('compare-table').tBodies[0].replaceChildren(
      ...facts.map(([label, get]) => {
        const tr = document.createElement('tr');
        const th = document.createElement('th');
        th.scope = 'row';
        th.textContent = label;
        tr.append(th);
        for (const r of this.runs) {
          const td = document.createElement('td');
          td.textContent = get(r);
          tr.append(td);
        }
        return tr;
      }),
    );
  }
}
