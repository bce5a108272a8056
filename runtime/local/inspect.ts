// Reads everything recovery needs from a workspace as plain facts (the machine decides).
import { existsSync, readdirSync, statSync } from 'node:fs';
import type { DiskFinding, Liveness, LockRecord, LockSource, RecordedRun } from '../../machine/types.ts';
import { readCheckpointFacts } from './checkpoint-control.ts';
import { readPause } from './checkpoint-pause.ts';
import { bootId, probe } from './identity.ts';
import { probeJob } from './job-liveness.ts';
import { defaultSlot, type Layout, reservedDirNames, runIdPattern } from './layout.ts';
import { type FoundClaim, listClaims, readLock, sourcePath } from './lock-file.ts';
import { readExitRecord } from './monitor/exit-record.ts';
import { localIdentityOf } from './owner.ts';
import { readAbortRequest, readRunIdentity } from './run-records.ts';

/** The most run directories one inspection reads to account for an unreadable lock (a loop bound). */
export const runDirsMax = 100_000;

/** The finding for the workspace at `layout`, as seen at `now`. Throws only when the disk cannot be read. */
export function inspectWorkspace(layout: Layout, now: number): DiskFinding {
  const active = readLock(layout.lock);
  if (!active.ok) throw new Error(active.error.message);
  if (active.value.state === 'corrupt') {
    const source: LockSource = { kind: 'active' };
    return unreadable(layout, source, layout.lock, active.value.detail, null, now);
  }
  if (active.value.state === 'ok') {
    const record = active.value.value;
    return {
      lock: 'present',
      source: { kind: 'active' },
      now,
      ...recorded(layout, record, ownerLiveness(record)),
    };
  }
  for (const claim of listClaims(layout)) {
    const source: LockSource = { kind: 'claim', name: claim.name };
    const path = sourcePath(layout, source);
    const read = readLock(path);
    if (!read.ok || read.value.state === 'missing') continue;
    // A corrupt claim is reported, never skipped: its run is found in its run directory.
    if (read.value.state === 'corrupt') {
      return unreadable(layout, source, path, read.value.detail, claimerLiveness(claim), now);
    }
    return { lock: 'present', source, now, ...recorded(layout, read.value.value, claimerLiveness(claim)) };
  }
  return { lock: 'absent', now };
}

/**
 * The id of the active run: the lock's, or when the lock is unreadable, the run recorded in its
 * run directory whose job (or starter) may still be alive. Null when no run is active.
 */
export function activeRunId(layout: Layout, now: number): string | null {
  const finding = inspectWorkspace(layout, now);
  if (finding.lock === 'present') return finding.source.kind === 'active' ? finding.record.runId : null;
  if (finding.lock !== 'unreadable' || finding.source.kind !== 'active') return null;
  const live = finding.runs.find((r) => (r.job ?? r.owner).state !== 'gone');
  return live?.record.runId ?? null;
}

function unreadable(
  layout: Layout,
  source: LockSource,
  path: string,
  detail: string,
  claimer: Liveness | null,
  now: number,
): DiskFinding {
  return { lock: 'unreadable', detail, path, source, claimer, runs: unaccountedRuns(layout), now };
}

/** The liveness of the claimer a claim's name records. */
function claimerLiveness(claim: FoundClaim): Liveness {
  if (claim.claimer === null) return { state: 'gone', reason: 'process-gone' };
  if (claim.claimer.bootPrefix !== bootId().slice(0, 8)) return { state: 'gone', reason: 'reboot' };
  return probe({
    kind: 'local',
    pid: claim.claimer.pid,
    startTime: claim.claimer.startTime,
    bootId: bootId(),
  });
}

function ownerLiveness(record: LockRecord): Liveness {
  const owner = localIdentityOf(record.owner);
  return owner === null
    ? { state: 'foreign', detail: `owner is a ${record.owner.kind} process` }
    : probe(owner);
}

/**
 * Runs only their run directories account for: an identity copy, no history record, and no
 * readable claim naming them. Read only when a lock or claim is unreadable (never on the common
 * path, so a command's cost does not grow with the number of kept runs).
 */
function unaccountedRuns(layout: Layout): RecordedRun[] {
  let names: string[];
  try {
    names = readdirSync(layout.root).slice(0, runDirsMax);
  } catch {
    return [];
  }
  const claimed = new Set<string>();
  for (const claim of listClaims(layout)) {
    const read = readLock(sourcePath(layout, { kind: 'claim', name: claim.name }));
    if (read.ok && read.value.state === 'ok') claimed.add(read.value.value.runId);
  }
  const runs: RecordedRun[] = [];
  for (const name of names) {
    if (!runIdPattern.test(name) || name.startsWith('active.lock') || reservedDirNames.has(name)) continue;
    if (claimed.has(name) || existsSync(layout.historyRecord(name))) continue;
    const record = readRunIdentity(layout, name);
    // A run of another slot is that slot's to account for (issue 12: each slot recovers its own).
    if (record !== null && holdsSlot(record, layout.slot.name))
      runs.push(recorded(layout, record, ownerLiveness(record)));
  }
  return runs;
}

/** Whether a run holds the slot `name` (a run without `config.slots` holds slot 0 alone). */
function holdsSlot(record: LockRecord, name: string): boolean {
  const slots = record.config.slots;
  return slots === undefined || slots.length === 0 ? name === defaultSlot.name : slots.includes(name);
}

function recorded(layout: Layout, record: LockRecord, owner: Liveness): RecordedRun {
  // Probe before reading the exit record: a job that ends in between is then seen alive (and
  // its exit soon after), never gone without a record (which would call it orphaned).
  const probed = record.job === null ? null : probeJob(record.job);
  const exit = readExitRecord(layout.runDir(record.runId), layout.root);
  // A job that is gone but left a record we cannot read did leave one: say so, never "no record".
  const job =
    probed?.state === 'gone' && !exit.ok
      ? { state: 'gone' as const, reason: 'exit-record-corrupt' as const }
      : probed;
  return {
    record,
    owner,
    job,
    exit: exit.ok ? exit.value : null,
    abort: readAbortRequest(layout, record.runId),
    lastActivityAt: lastActivityOf(layout, record.runId),
    // Issue 14: a checkpoint-and-exit request the job acked makes its exit `suspended`.
    checkpoint: exit.ok && exit.value !== null ? readCheckpointFacts(layout, record.runId) : null,
    paused: readPause(layout, record.runId),
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
