// The exit code `watch` and `start --watch` return for a run that ended, like a shell would.
import { constants } from 'node:os';
import type { HistoryRecord } from '../api/history.ts';

/**
 * 0 finished; the job's code; 128 + signal number when killed; 130 after an abort; 1 orphaned;
 * 75 (EX_TEMPFAIL: try again) suspended after a checkpoint (issue 14).
 */
export function exitCodeOf(record: Pick<HistoryRecord, 'outcome' | 'exitCode' | 'signal'>): number {
  if (record.outcome === 'suspended') return 75;
  if (record.outcome === 'aborted') return 130;
  if (record.outcome === 'finished') return 0;
  if (record.exitCode !== null && record.exitCode !== 0) return Math.min(record.exitCode, 255);
  const signo =
    record.signal === null ? undefined : constants.signals[record.signal as keyof typeof constants.signals];
  return signo === undefined ? 1 : 128 + signo;
}

/** What a recorded reason says to a person. */
const reasonWords: Readonly<Record<string, string>> = {
  stalled: 'stalled',
  'start-timeout': 'did not start in time',
  'spawn-failed': 'could not be started',
  'start-interrupted': 'start interrupted',
  'starter-died': 'its starter died',
  // issue 12: ends without a process
  'dependency-failed': 'its --after-ok dependency did not finish',
  'removed-from-queue': 'removed from the queue',
  'aborted-in-queue': 'aborted while queued',
  'time-limit': 'time limit reached',
};

/**
 * How a run ended, in words, the reason first whenever there is one: `finished`, `failed (exit
 * code 3)`, `aborted (stalled; killed by SIGINT)`, `orphaned (process-gone)`.
 */
export function endedHow(record: Pick<HistoryRecord, 'outcome' | 'exitCode' | 'signal' | 'reason'>): string {
  const exit =
    record.signal !== null
      ? `killed by ${record.signal}`
      : record.exitCode !== null && (record.exitCode !== 0 || record.outcome !== 'finished')
        ? `exit code ${record.exitCode}`
        : '';
  const reason = record.reason === null ? '' : (reasonWords[record.reason] ?? record.reason);
  const how = [reason, exit].filter((part) => part !== '').join('; ');
  return how === '' ? record.outcome : `${record.outcome} (${how})`;
}
