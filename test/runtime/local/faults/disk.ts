// Test support: what a workspace holds on disk (lock, claims, quarantined locks, history, stray
// tmp files), read directly from the files so a test never trusts runwarden to report on itself.
import fs from 'node:fs';
import path from 'node:path';
import type { LockRecord } from '../../../../machine/types.ts';

/** Names in `dir` (sorted), or [] when it does not exist. */
function namesIn(dir: string): string[] {
  try {
    return fs.readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** The workspace lock as parsed JSON, or null when there is none. Throws on an unreadable lock. */
export function lockOf(ws: string): LockRecord | null {
  const file = path.join(ws, 'active.lock');
  if (!fs.existsSync(file)) return null;
  return JSON.parse(fs.readFileSync(file, 'utf8')) as LockRecord;
}

/** The job's and monitor's pids a lock records, or null when it records no job yet. */
export function jobPidsOf(lock: LockRecord): { pid: number; monitorPid: number } | null {
  const job = lock.job;
  if (job === null || typeof job.pid !== 'number' || typeof job.monitorPid !== 'number') return null;
  return { pid: job.pid, monitorPid: job.monitorPid };
}

/** Claimed locks being (or left half-way) finalised: `active.lock.claimed-*`. */
export function claimsIn(ws: string): string[] {
  return namesIn(ws).filter((n) => n.startsWith('active.lock.claimed-'));
}

/** Quarantined locks: `active.lock.corrupt-*`. */
export function quarantinedIn(ws: string): string[] {
  return namesIn(ws).filter((n) => n.startsWith('active.lock.corrupt-'));
}

/** Tmp files of interrupted or failed writes (`*.tmp-*`, `*.new-*`) in the workspace and its history. */
export function strayTmpFilesIn(ws: string): string[] {
  const stray = (n: string) => n.includes('.tmp-') || n.includes('.new-');
  return [
    ...namesIn(ws).filter(stray),
    ...namesIn(path.join(ws, 'history'))
      .filter(stray)
      .map((n) => `history/${n}`),
  ];
}

/** The run ids that have a history record file. */
export function historyIdsIn(ws: string): string[] {
  return namesIn(path.join(ws, 'history'))
    .filter((n) => n.endsWith('.json'))
    .map((n) => n.slice(0, -'.json'.length));
}

/** How many lines of the history index name each run id. */
export function indexCountsIn(ws: string): Record<string, number> {
  const counts: Record<string, number> = {};
  let text = '';
  try {
    text = fs.readFileSync(path.join(ws, 'history.ndjson'), 'utf8');
  } catch {
    return counts;
  }
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const id = String((JSON.parse(line) as { id: unknown }).id);
    counts[id] = (counts[id] ?? 0) + 1;
  }
  return counts;
}

/** The raw bytes of a run's history record file, or null when it has none. */
export function historyBytesOf(ws: string, runId: string): Buffer | null {
  try {
    return fs.readFileSync(path.join(ws, 'history', `${runId}.json`));
  } catch {
    return null;
  }
}
