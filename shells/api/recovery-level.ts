// How much a recovery note matters to a person: a problem, news, or nothing worth saying.
import type { RecoveryNote } from '../../machine/types.ts';

/**
 * `warning` for what went wrong (an orphaned run, an unreadable lock); `info` for what is normal
 * in a tool without a daemon (a run that failed or was aborted while nobody watched, an abort
 * handed over to whichever process looks next, e.g. after `abort --no-wait`); `quiet` for a run
 * that finished cleanly while nobody watched (its record says everything).
 */
export function noteLevel(note: RecoveryNote): 'warning' | 'info' | 'quiet' {
  if (note.kind === 'orphaned' || note.kind === 'quarantined') return 'warning';
  if (note.kind === 'ended-unwatched' && /^finished\b/.test(note.reason)) return 'quiet';
  return 'info';
}
