// How a run's resource samples (issue 17: sys/cpu, sys/rss, …, sys/gpu0/util) read in one terminal line.

/** `1.2 GiB`, `340 MiB`, `12 KiB`, `512 B`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** How long a job's GPUs are all idle (< 5 %) before the resource line says so: 10 min. */
export const gpuIdleNoticeMs = 10 * 60_000;

/** True for a metric the resource sampler wrote (shown on the resource line, not with the job's). */
export function isResourceMetric(name: string): boolean {
  return name.startsWith('sys/');
}

/**
 * `cpu 95%  rss 1.2 GiB  threads 8  read 12 MiB  written 3.1 MiB  gpu0 87% 10/80 GiB 250 W`, or
 * null when there are no samples yet.
 */
export function resourceLine(metrics: Readonly<Record<string, number>>): string | null {
  const m = (name: string): number | undefined => metrics[`sys/${name}`];
  const parts: string[] = [];
  const cpu = m('cpu');
  if (cpu !== undefined) parts.push(`cpu ${cpu.toFixed(0)}%`);
  const rss = m('rss');
  if (rss !== undefined) parts.push(`rss ${formatBytes(rss)}`);
  const threads = m('threads');
  if (threads !== undefined) parts.push(`threads ${threads}`);
  const read = m('read_bytes');
  if (read !== undefined && read > 0) parts.push(`read ${formatBytes(read)}`);
  const written = m('write_bytes');
  if (written !== undefined && written > 0) parts.push(`written ${formatBytes(written)}`);
  for (let gpu = 0; gpu < 16; gpu += 1) {
    const util = m(`gpu${gpu}/util`);
    if (util === undefined) continue;
    const used = m(`gpu${gpu}/mem_used`);
    const total = m(`gpu${gpu}/mem_total`);
    const power = m(`gpu${gpu}/power`);
    const mem =
      used === undefined ? '' : ` ${formatBytes(used)}${total === undefined ? '' : `/${formatBytes(total)}`}`;
    parts.push(`gpu${gpu} ${util.toFixed(0)}%${mem}${power === undefined ? '' : ` ${power.toFixed(0)} W`}`);
  }
  const idleMs = m('gpu_idle_ms');
  if (idleMs !== undefined && idleMs >= gpuIdleNoticeMs)
    parts.push(`GPU idle < 5% for ${Math.floor(idleMs / 60_000)} min (stuck loading data?)`);
  return parts.length === 0 ? null : parts.join('  ');
}
