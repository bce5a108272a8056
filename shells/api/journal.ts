// The lifecycle journal of a run: one NDJSON line per transition of any runwarden process's
// machine (`lifecycle.ndjson`). Appends are single O_APPEND writes, so the file's order is the
// order of events and an entry's sequence number is its position in the file.
import type { AnyEventObject } from 'xstate';
import { NdjsonReader } from '../../runtime/fs/ndjson-reader.ts';
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

/** The line to append for a transition from `from` to `snap` caused by `event`. */
export function journalLine(from: unknown, snap: LifecycleSnapshot, event: AnyEventObject) {
  return {
    t: new Date().toISOString(),
    pid: process.pid,
    from: from === null ? null : statePath(from),
    to: statePath(snap.value),
    event: event.type,
    detail: detailOf(event, snap),
  };
}

/** Every readable entry of a journal file, numbered by line (bounded batches). */
export function readJournal(path: string): JournalEntry[] {
  const reader = new NdjsonReader(path);
  const entries: JournalEntry[] = [];
  let line = 0;
  for (let batches = 0; batches < 100_000; batches++) {
    const read = reader.read({ final: true });
    if (!read.ok) break;
    for (const record of read.value.records) {
      line += 1;
      entries.push({
        seq: line,
        t: String(record.t ?? ''),
        pid: Number(record.pid ?? 0),
        from: typeof record.from === 'string' ? record.from : null,
        to: String(record.to ?? ''),
        event: String(record.event ?? ''),
        detail: typeof record.detail === 'string' ? record.detail : null,
      });
    }
    if (!read.value.more) break;
  }
  return entries;
}
