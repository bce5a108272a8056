// Pure rules for how a run ended: outcome from an exit, the history record from the context.
import type {
  CheckpointFacts,
  EndReason,
  ErrorInfo,
  ExitRecord,
  HistoryEntry,
  Outcome,
  RetentionAction,
  RetentionPolicy,
  RunConfig,
} from './types.ts';

/** The retention of a run that ended with `outcome`: a suspended run's directory is always kept. */
export function retentionOf(policy: RetentionPolicy, outcome: Outcome): RetentionAction {
  return outcome === 'suspended' ? 'keep' : policy[outcome];
}

/**
 * Issue 14: the job answered a checkpoint-and-exit request with an `ack` before it ended, and no
 * abort was asked before that ack: the run is `suspended` (resumable from its checkpoint).
 */
export function suspendedBy(
  abort: { readonly requestedAt: number } | null,
  facts: CheckpointFacts | null | undefined,
): boolean {
  const request = facts?.request ?? null;
  if (request === null || !request.exit || facts?.ackedAt == null) return false;
  return abort === null || facts.ackedAt <= abort.requestedAt;
}

/**
 * The outcome of a run whose job exited: suspended after an acknowledged checkpoint-and-exit
 * request (issue 14), aborted if an abort preceded the exit, else by code.
 */
export function outcomeOfExit(
  exit: ExitRecord,
  abort: { readonly requestedAt: number } | null,
  checkpoint: CheckpointFacts | null = null,
): Outcome {
  if (exit.notStarted !== true && suspendedBy(abort, checkpoint)) return 'suspended';
  if (abort !== null && abort.requestedAt <= exit.endedAt) return 'aborted';
  if (exit.notStarted === true) return 'failed';
  return exit.code === 0 && exit.signal === null ? 'finished' : 'failed';
}

/** Why an exited run ended, when the exit alone does not say it. */
export function reasonOfExit(exit: ExitRecord): EndReason | null {
  return exit.notStarted === true ? 'start-interrupted' : null;
}

/** The outcome of a run whose job vanished without an exit record: aborted if one was asked. */
export function outcomeOfLoss(abort: { readonly requestedAt: number } | null): Outcome {
  return abort === null ? 'orphaned' : 'aborted';
}

/** Everything the history record needs, gathered from the machine's context. */
export interface EndFacts {
  readonly config: RunConfig;
  readonly outcome: Outcome;
  readonly exit: ExitRecord | null;
  readonly reason: EndReason | null;
  readonly error: ErrorInfo | null;
  readonly startedAt: number | null;
  /** When the end was observed, for runs that left no exit record. */
  readonly detectedAt: number;
}

/** The one history record a run ends with. */
export function historyEntryOf(facts: EndFacts): HistoryEntry {
  return {
    runId: facts.config.runId,
    name: facts.config.name,
    outcome: facts.outcome,
    exitCode: facts.exit?.code ?? null,
    signal: facts.exit?.signal ?? null,
    startedAt: facts.startedAt,
    endedAt: facts.exit?.endedAt ?? facts.detectedAt,
    reason: facts.reason,
    error: facts.error,
    config: facts.config,
  };
}
