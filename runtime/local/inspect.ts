// Reads everything recovery needs from a workspace as plain facts (the machine decides).
import { statSync } from 'node:fs';
import type { DiskFinding, Liveness, LockRecord, LockSource } from '../../machine/types.ts';
import { bootId, probe } from './identity.ts';
import { probeJob } from './job-liveness.ts';
import type { Layout } from './layout.ts';
import { listClaims, readLock, sourcePath } from './lock-file.ts';
import { readExitRecord } from './monitor/exit-record.ts';
import { localIdentityOf } from './owner.ts';
import { readAbortRequest } from './run-records.ts';

/** The finding for the workspace at `layout`, as seen at `now`. Throws only when the disk cannot be read. */
export function inspectWorkspace(layout: Layout, now: number): DiskFinding {
  const active = readLock(layout.lock);
  if (!active.ok) throw new Error(active.error.message);
  if (active.value.state === 'corrupt') return { lock: 'unreadable', detail: active.value.detail, path: layout.lock, source: { kind: 'active' }, claimer: null, runs: [], now };
  if (active.value.state === 'ok') {
    const record = active.value.value;
    return present(layout, { kind: 'active' }, record, ownerLiveness(record), now);
  }
  for (const claim of listClaims(layout)) {
    const source: LockSource = { kind: 'claim', name: claim.name };
    const read = readLock(sourcePath(layout, source));
    if (!read.ok || read.value.state !== 'ok') continue;
    const claimer: Liveness =
      claim.claimer === null
        ? { state: 'gone', reason: 'process-gone' }
        : claim.claimer.bootPrefix !== bootId().slice(0, 8)
          ? { state: 'gone', reason: 'reboot' }
          : probe({
              kind: 'local',
              pid: claim.claimer.pid,
              startTime: claim.claimer.startTime,
              bootId: bootId(),
            });
    return present(layout, source, read.value.value, claimer, now);
  }
  return { lock: 'absent', now };
}

function ownerLiveness(record: LockRecord): Liveness {
  const owner = localIdentityOf(record.owner);
  return owner === null
    ? { state: 'foreign', detail: `owner is a ${record.owner.kind} process` }
    : probe(owner);
}

function present(
  layout: Layout,
  source: LockSource,
  record: LockRecord,
  owner: Liveness,
  now: number,
): DiskFinding {
  // Probe before reading the exit record: a job that ends in between is then seen alive (and
  // its exit soon after), never gone without a record (which would call it orphaned).
  const job = record.job === null ? null : probeJob(record.job);
  const exit = readExitRecord(layout.runDir(record.runId));
  return {
    lock: 'present',
    source,
    record,
    owner,
    job,
    exit: exit.ok ? exit.value : null,
    abort: readAbortRequest(layout, record.runId),
    lastActivityAt: lastActivityOf(layout, record.runId),
    now,
  };
}

/** The newest write to the job's logs or events file (its last sign of life), or null. */
function lastActivityOf(layout: Layout, runId: string): number | null {
  let newest: number | null = null;
  for (const file of ['stdout', 'stderr', 'events'] as const) {
    try {
      const mtimeMs = statSync(layout.runFile(runId, file)).mtimeMs;
      if (newest === null || mtimeMs > newest) newest = Math.floor(mtimeMs);
    } catch {
      // not written yet
    }
  }
  return newest;
}
