// The line a user reads for each thing recovery did, with the why, at the weight it deserves.
import type { RecoveryNote } from '../../machine/types.ts';
import { noteLevel } from '../api/recovery-level.ts';
import { painter, warn } from './output.ts';

const reasons: Readonly<Record<string, string>> = {
  'process-gone': 'its process is gone and left no exit record',
  reboot: 'the machine rebooted since it started',
  'pid-reused': 'its pid now belongs to another program',
  'starter-died': 'the runwarden process starting it died before the job ran',
};

/** One line for a recovery note (without the program name). */
export function recoveryLine(note: RecoveryNote): string {
  const run = note.runId ?? 'unknown run';
  switch (note.kind) {
    case 'orphaned':
      if (note.reason === 'exit-record-corrupt') {
        return `warning: run ${run} ended but its exit record ${run}/exit.json is corrupt or not a regular file; recorded as orphaned`;
      }
      return `warning: an orphaned run from a previous session was found (${run}: ${reasons[note.reason] ?? note.reason}); cleaned up and recorded as orphaned`;
    case 'ended-unwatched':
      return `note: run ${run} ${note.reason} while no runwarden process was watching; recorded (see: runwarden show ${run})`;
    case 'quarantined':
      return `warning: the workspace lock was unreadable (${note.reason}); the workspace is usable again`;
    case 'lock-unreadable':
      return `warning: ${note.reason}; run ${run} was found in its run directory and is kept (the workspace stays in use until it ends)`;
    case 'abort-resumed':
      return `note: the abort of run ${run} asked earlier is being completed by this process (${note.reason})`;
    case 'requeued':
      return `note: the start of queued run ${run} was interrupted before its job ran (${note.reason}); it goes back to the queue`;
  }
}

/**
 * Tells the user on stderr what recovery did: problems as warnings, news as one dim note, a clean
 * unwatched end not at all. Only the process that recovered has the note, so it is said once.
 */
export function notice(note: RecoveryNote): void {
  const level = noteLevel(note);
  if (level === 'quiet') return;
  if (level === 'warning') warn(recoveryLine(note));
  else process.stderr.write(`${painter(process.stderr).dim(`runwarden: ${recoveryLine(note)}`)}\n`);
}
