// Issue 14: whether an ended run is started again, as a new run of its lineage, and when. Pure:
// the history record and the run's policy in, a decision out; a shell (start --watch, watch) or,
// after the queue lands (issue 12), a queue entry carries it out.
import type { HistoryEntry } from './types.ts';

/** What to do once a run ended. */
export type RestartDecision =
  | { readonly kind: 'none'; readonly why: string }
  | { readonly kind: 'resume' | 'retry'; readonly delayMs: number; readonly why: string };

/** The most restarts a lineage gets even with --auto-resume (a loop bound). */
export const restartsMax = 1_000;
/** No back-off grows past this. */
export const backoffCapMs = 600_000;

const signalNumbers: Readonly<Record<string, number>> = {
  SIGKILL: 9,
  SIGTERM: 15,
  SIGINT: 2,
  SIGSEGV: 11,
  SIGABRT: 6,
  SIGBUS: 7,
};

/** The decision for `entry` under its config's restart policy. */
export function restartDecisionOf(entry: HistoryEntry): RestartDecision {
  const policy = entry.config.retries;
  if (policy === undefined) return { kind: 'none', why: 'no restart policy' };
  const restarts = entry.config.lineage?.restartCount ?? 0;
  if (restarts >= restartsMax) return { kind: 'none', why: `${restartsMax} restarts already` };
  if (entry.outcome === 'suspended')
    return policy.autoResume
      ? { kind: 'resume', delayMs: 0, why: 'suspended after a checkpoint (--auto-resume)' }
      : { kind: 'none', why: 'suspended (resume it with runwarden resume, or start with --auto-resume)' };
  if (entry.outcome === 'finished') return { kind: 'none', why: 'finished' };
  if (entry.outcome === 'aborted') return { kind: 'none', why: 'aborted by request' };
  const retries = entry.config.lineage?.retriesSoFar ?? 0;
  const why = retryReason(entry);
  if (why === null)
    return { kind: 'none', why: 'not an infrastructure failure (--retry-on-exit to retry code errors)' };
  if (retries >= policy.max) return { kind: 'none', why: `retries used up (${policy.max})` };
  const delayMs = Math.min(backoffCapMs, policy.backoffMs * 2 ** Math.min(retries, 30));
  return { kind: 'retry', delayMs, why };
}

/** Why the end is worth a retry under the policy, or null. */
export function retryReason(entry: HistoryEntry): string | null {
  const policy = entry.config.retries;
  if (policy === undefined) return null;
  if (entry.outcome === 'orphaned') {
    if (entry.reason === 'reboot') return 'orphaned by a reboot';
    return policy.onOrphan ? `orphaned (${entry.reason ?? 'unknown'}; --retry-on-orphan)` : null;
  }
  if (entry.outcome !== 'failed') return null;
  if (entry.signal === 'SIGKILL') return 'killed by SIGKILL without an abort (the OOM killer?)';
  const code = entry.exitCode ?? (entry.signal === null ? null : 128 + (signalNumbers[entry.signal] ?? 0));
  return code !== null && policy.onExit.includes(code) ? `exit code ${code} (--retry-on-exit)` : null;
}
