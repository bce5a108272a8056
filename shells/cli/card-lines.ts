// The run card and labels as `show` prints them (issue 17): tags, note, params, code, machine,
// GPUs, allowed environment, packages, what could not be captured, and each metric's last/min/max.
import type { HistoryRecord } from '../api/history.ts';
import type { MetricStats, RunCard } from '../api/run-card.ts';
import { neutralize } from './output.ts';

const short = (commit: string) => commit.slice(0, 12);
const formatBytes = (n: number) =>
  n < 1024
    ? `${n} B`
    : n < 1024 * 1024
      ? `${(n / 1024).toFixed(1)} KiB`
      : `${(n / 1024 / 1024).toFixed(1)} MiB`;
const at = (step: number | null, n: number) => (step === null ? `#${n}` : `step ${step}`);
const num = (v: number | string) => (typeof v === 'number' ? String(Number(v.toPrecision(6))) : v);

/** `loss  last 0.12 (step 100)  min 0.11 (step 90)  max 2.3 (step 1)  200 values`. */
export function metricStatsLine(name: string, s: MetricStats): string {
  const part = (label: string, v: { value: number | string; step: number | null; n: number } | null) =>
    v === null ? '' : `  ${label} ${num(v.value)} (${at(v.step, v.n)})`;
  return `${neutralize(name)}${part('last', s.last)}${part('min', s.min)}${part('max', s.max)}  ${s.count} values`;
}

/** The lines of a card (without the labels). */
export function cardLines(card: RunCard, runId: string): string[] {
  const lines: string[] = [];
  const g = card.git;
  if (g !== null) {
    const state = g.dirty
      ? `dirty: diff ${formatBytes(Buffer.byteLength(g.diff))}${g.diffTruncated ? ' (cut at 1 MiB)' : ''}, ${g.untracked.length} untracked`
      : 'clean';
    lines.push(
      `code:    ${short(g.commit)}${g.branch === null ? '' : ` on ${neutralize(g.branch)}`} (${state})${g.remote === null ? '' : `  ${neutralize(g.remote)}`}`,
    );
    if (g.diff !== '') lines.push(`         the diff: runwarden show ${runId} --diff`);
  }
  lines.push(
    `host:    ${neutralize(card.host)}${card.user === null ? '' : ` (user ${neutralize(card.user)})`}, runwarden ${card.runwarden}, node ${card.node}`,
    `cwd:     ${neutralize(card.cwd)}`,
  );
  if (card.gpus !== null && card.gpus.length > 0) {
    const gpus = card.gpus.map((x) => `${neutralize(x.name)} ${x.uuid}`).join(', ');
    lines.push(`gpus:    ${card.gpus.length}: ${gpus} (driver ${neutralize(card.gpus[0]?.driver ?? '?')})`);
  }
  const env = Object.entries(card.env).map(([k, v]) => `${k}=${neutralize(v)}`);
  if (env.length > 0 || card.envWithheld.length > 0)
    lines.push(
      `env:     ${env.join(' ') || '-'}${card.envWithheld.length > 0 ? `  (withheld, secret-looking: ${card.envWithheld.join(', ')})` : ''}`,
    );
  if (card.packages !== null) {
    const count = (o: { output: string } | null) =>
      o === null ? 'not captured' : `${o.output.split('\n').filter(Boolean).length} lines`;
    lines.push(
      `packages: pip ${count(card.packages.pip)}, npm ${count(card.packages.npm)} (show --json has them)`,
    );
  }
  for (const note of card.notes) lines.push(`card:    ${neutralize(note)}`);
  return lines;
}

/** The labels, card and metric statistics of a record, as `show` prints them. */
export function recordCardLines(record: HistoryRecord): string[] {
  const lines: string[] = [];
  const tags = record.tags ?? record.config.tags ?? [];
  if (tags.length > 0) lines.push(`tags:    ${tags.join(', ')}`);
  const note = record.note !== undefined ? record.note : (record.config.note ?? null);
  if (note !== null && note !== '')
    lines.push(`note:    ${neutralize(note).replaceAll('\n', '\n         ')}`);
  const params = Object.entries(record.params ?? record.config.params ?? {});
  if (params.length > 0)
    lines.push(`params:  ${params.map(([k, v]) => `${k}=${neutralize(String(v))}`).join(' ')}`);
  if (record.card !== undefined && record.card !== null) lines.push(...cardLines(record.card, record.runId));
  else if (record.card === null)
    lines.push('card:    not captured (the run ended before its card was written, or --no-card)');
  const stats = Object.entries(record.metricStats ?? {});
  if (stats.length > 0) lines.push('metrics:', ...stats.map(([name, s]) => `  ${metricStatsLine(name, s)}`));
  return lines;
}
