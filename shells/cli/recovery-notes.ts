// The warning line a user reads for each thing recovery did, with the why.
import type { RecoveryNote } from '../../machine/types.ts';

const reasons: Readonly<Record<string, string>> = {
  'process-gone': 'its process is gone and left no exit record',
  reboot: 'the machine rebooted since it started',
  'pid-reused': 'its pid now belongs to another program',
  'starter-died': 'the runwarden process starting it died before the job ran',
};

/** One warning line for a recovery note. */
export function recoveryLine(note: RecoveryNote): string {
  const run = note.runId ?? 'unknown run';
  switch (note.kind) {
    case 'orphaned':
      if (note.reason === 'exit-record-corrupt') {
        return `warning: run ${run} ended but its exit record ${run}/exit.json is corrupt or not a regular file; recorded as orphaned`;
      }
      return `warning: an orphaned run from a previous session was found (${run}: ${reasons[note.reason] ?? note.reason}); cleaned up and recorded as orphaned`;
    case 'ended-unwatched':
      return `warning: run ${run} ended while no runwarden process was watching: ${note.reason}; recorded`;
    case 'quarantined':
      return `warning: the workspace lock was unreadable (${note.reason}); the workspace is usable again`;
    case 'lock-unreadable':
      return `warning: ${note.reason}; run ${run} was found in its run directory and is kept (the workspace stays in use until it ends)`;
    case 'abort-resumed':
      return `warning: an abort of run ${run} was in progress when its runwarden process died; resumed (${note.reason})`;
  }
}
