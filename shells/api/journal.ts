// The lifecycle journal of a run: one NDJSON line per transition of any runwarden process's
// machine (`lifecycle.ndjson`). Appends are single O_APPEND writes, so the file's order is the
// order of events and an entry's sequence number is its position in the file.
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AnyEventObject } from 'xstate';
import type { DiskFinding } from '../../machine/types.ts';
import { NdjsonReader } from '../../runtime/fs/ndjson-reader.ts';
import type { Layout } from '../../runtime/local/layout.ts';
import { ndjsonRecordsOf } from './run-files.ts';
import type { LifecycleSnapshot } from './status-view.ts';

/** One transition as written to the journal. */
export interface JournalEntry {
  /** 1-based position among the journal's readable lines: strictly increasing. */
  readonly seq: number;
  readonly t: string;
  /** The runwarden process whose machine moved. */
  readonly pid: number;
  readonly from: string | null;
  readonly to: string;
  readonly event: string;
  /** The facts of the event that matter to a reader (exit code, grace, error code, decision). */
  readonly detail: string | null;
  /** The machine's context after the step, in brief; for recovery, what was found on disk. */
  readonly context: Readonly<Record<string, unknown>> | null;
}

/** A run's journal: in its directory, or beside its history record once retention deleted it. */
export function journalPath(layout: Layout, runId: string): string {
  const inRunDir = layout.runFile(runId, 'lifecycle');
  if (existsSync(inRunDir) || existsSync(layout.runDir(runId))) return inRunDir;
  const kept = layout.historyJournal(runId);
  return existsSync(kept) ? kept : inRunDir;
}

/** A state value as a dotted path: {live: {running: 'healthy'}} → live.running.healthy. */
export function statePath(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return String(value);
  return Object.entries(value)
    .map(([key, sub]) => `${key}.${statePath(sub)}`)
    .join(',');
}

/** What an event carried, in a few words. */
function detailOf(event: AnyEventObject, snap: LifecycleSnapshot): string | null {
  if (event.type === 'process.exited') {
    const exit = event.exit as { code: number | null; signal: string | null };
    return exit.signal === null ? `code ${exit.code}` : exit.signal;
  }
  if (event.type === 'process.lost') return String(event.reason);
  if (event.type === 'run.abort') return event.graceMs === undefined ? null : `grace ${event.graceMs} ms`;
  if (event.type.startsWith('xstate.done.actor.inspectDisk'))
    return `found ${snap.context.decision?.kind ?? '?'}`;
  if (event.type.startsWith('xstate.done.actor.')) {
    const out = event.output as { ok?: boolean; error?: { code: string } } | undefined;
    return out?.ok === false ? (out.error?.code ?? 'failed') : null;
  }
  if (event.type.startsWith('xstate.error.actor.'))
    return String((event.error as Error | undefined)?.message ?? 'error');
  return null;
}

/** What recovery found on disk, in brief: the lock, the identity checks, the records. */
function foundOf(finding: DiskFinding): Record<string, unknown> {
  if (finding.lock !== 'present')
    return { lock: finding.lock, ...(finding.lock === 'unreadable' ? { why: finding.detail } : {}) };
  return {
    lock: finding.source.kind === 'active' ? 'present' : `claim ${finding.source.name}`,
    owner: finding.owner.state === 'gone' ? `gone (${finding.owner.reason})` : finding.owner.state,
    job:
      finding.job === null
        ? 'not recorded'
        : finding.job.state === 'gone'
          ? `gone (${finding.job.reason})`
          : finding.job.state,
    exitRecord: finding.exit === null ? null : { code: finding.exit.code, signal: finding.exit.signal },
    abortRequested: finding.abort !== null,
  };
}

/** The context after a step, in brief (no config, no large records). */
function contextOf(snap: LifecycleSnapshot, event: AnyEventObject): Record<string, unknown> {
  const c = snap.context;
  const brief: Record<string, unknown> = {
    run: c.run?.runId ?? null,
    pid: typeof c.handle?.pid === 'number' ? c.handle.pid : null,
    abort:
      c.abort === null
        ? null
        : { requestedAt: c.abort.requestedAt, graceMs: c.abort.graceMs, forced: c.abort.forced },
    outcome: c.outcome,
    reason: c.reason,
    exit: c.exit,
    error: c.error?.code ?? null,
    decision: c.decision?.kind ?? null,
  };
  if (event.type === 'xstate.done.actor.inspectDisk') brief.found = foundOf(event.output as DiskFinding);
  return Object.fromEntries(Object.entries(brief).filter(([, v]) => v !== null));
}

/** The line to append for a transition from `from` to `snap` caused by `event`. */
export function journalLine(from: unknown, snap: LifecycleSnapshot, event: AnyEventObject) {
  return {
    t: new Date().toISOString(),
    pid: process.pid,
    from: from === null ? null : statePath(from),
    to: statePath(snap.value),
    event: event.type,
    detail: detailOf(event, snap),
    context: contextOf(snap, event),
  };
}

/** One journal line as an entry, numbered `seq`. */
function entryOf(record: Record<string, unknown>, seq: number): JournalEntry {
  return {
    seq,
    t: String(record.t ?? ''),
    pid: Number(record.pid ?? 0),
    from: typeof record.from === 'string' ? record.from : null,
    to: String(record.to ?? ''),
    event: String(record.event ?? ''),
    detail: typeof record.detail === 'string' ? record.detail : null,
    context:
      typeof record.context === 'object' && record.context !== null
        ? (record.context as Record<string, unknown>)
        : null,
  };
}

/**
 * Every readable entry of a journal file, numbered by line (bounded batches). A journal lives in
 * `<workspace>/<run>/` or `<workspace>/history/`: the workspace, two levels up, confines the read.
 */
export function readJournal(path: string): JournalEntry[] {
  const reader = new NdjsonReader(dirname(dirname(path)), path);
  const entries: JournalEntry[] = [];
  for (let batches = 0; batches < 100_000; batches++) {
    const read = reader.read({ final: true });
    if (!read.ok) break;
    for (const record of read.value.records) entries.push(entryOf(record, entries.length + 1));
    if (!read.value.more) break;
  }
  return entries;
}

/**
 * A run's journal for a client, read through the workspace-confined open (in its directory, or
 * beside its history record): RW_NOT_FOUND when it has none, RW_PATH_ESCAPE for a link.
 */
export function readRunJournal(layout: Layout, runId: string): JournalEntry[] {
  const what = `the lifecycle journal of run ${runId}`;
  return ndjsonRecordsOf(layout, journalPath(layout, runId), what).map((r, i) => entryOf(r, i + 1));
}
