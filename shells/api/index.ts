// runwarden's library API: `import { openWorkspace } from 'runwarden'`. Everything the CLI and the
// HTTP shell use comes through here (test/architecture.test.ts keeps them off runtime/), so an
// embedding service can do all they do. Reference: docs/api.md (generated from these doc comments).

export type { ErrorInfo, Outcome, RecoveryNote, RetentionPolicy, RunConfig } from '../../machine/types.ts';
// Issue 14: checkpoint requests (the run goes on) and checkpoint-and-exit (suspended).
export type {
  CheckpointAnswer,
  CheckpointOptions,
  CheckpointReason,
  CheckpointRef,
  CheckpointRequest,
  SuspendOptions,
} from './checkpoint.ts';
export { defaultCheckpointGraceMs, requestCheckpoint, suspendRun } from './checkpoint.ts';
export { RunwardenError } from './errors.ts';
export type { FollowOptions, LogStream, RunUpdate, RunWatcherEvents } from './follow.ts';
export { followRun, RunWatcher } from './follow.ts';
export type { FinalView, HistoryQuery, HistoryRecord, HistorySummary } from './history.ts';
export { getHistory, listHistory, readRunConfig } from './history.ts';
export type { JournalEntry } from './journal.ts';
// Issue 14: pause / continue.
export { continueRun, pauseRun } from './pause.ts';
export type {
  CurrentNumbers,
  PollOptions,
  ProgressState,
  ProgressSummary,
  RunFollowerOptions,
} from './progress.ts';
export { progressOfRunDir, RunFollower, summaryOf, thin } from './progress.ts';
// Issue 14: prune (deleting ended runs' directories on purpose).
export type { PruneItem, PruneOptions, PruneReport } from './prune.ts';
export { configuredBudget, pruneWorkspace } from './prune.ts';
// Issue 14: resume, retries, lineage.
export type { ResumedRun } from './resume.ts';
export { restartIfDue, resumeCheckpointOf, resumeRun } from './resume.ts';
export type { Layout } from './run-files.ts';
export { layoutOf, runFiles, runIdPattern } from './run-files.ts';
export { copyRunLog, runLogSizeBytes, tailLines } from './run-log.ts';
export { readServeToken, serveTokenPath } from './serve-token.ts';
export type { Timing } from './session.ts';
export { Session } from './session.ts';
export type { LifecycleSnapshot, RunState, RunView, StatusView } from './status-view.ts';
export type { AbortOptions, StartedRun, StartOptions, WorkspaceOptions } from './workspace.ts';
export { defaultGraceMs, defaultRetention, openWorkspace, Workspace } from './workspace.ts';
