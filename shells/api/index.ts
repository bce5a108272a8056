// runwarden's library API: `import { openWorkspace } from 'runwarden'`. Everything the CLI and the
// HTTP shell use comes through here (test/architecture.test.ts keeps them off runtime/), so an
// embedding service can do all they do. Reference: docs/api.md (generated from these doc comments).

// Issue 12: slots, the queue, many runs per workspace.
export type {
  DependencyState,
  QueueEntry,
  QueueHold,
  QueueNeeds,
  SlotGpu,
  SlotSpec,
} from '../../machine/queue-types.ts';
export type {
  CaptureOptions,
  ErrorInfo,
  Outcome,
  RecoveryNote,
  RetentionPolicy,
  RunConfig,
} from '../../machine/types.ts';
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
export type { ComparedMetric, ComparedRun, CompareOptions, Comparison } from './compare.ts';
export { compareRuns, compareRunsMax } from './compare.ts';
export { RunwardenError } from './errors.ts';
export type { FollowOptions, LogStream, RunUpdate, RunWatcherEvents } from './follow.ts';
export { followRun, RunWatcher } from './follow.ts';
export type { FinalView, HistoryQuery, HistoryRecord, HistorySummary, RecordFacts } from './history.ts';
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
export type { DispatchReport, QueueView, QueueViewEntry, SubmitOptions, SubmittedRun } from './queue.ts';
// Issue 14: resume, retries, lineage.
export type { ResumedRun } from './resume.ts';
export { restartIfDue, resumeCheckpointOf, resumeRun } from './resume.ts';
export type {
  CapturedOutput,
  GitFacts,
  GpuFacts,
  MetricAt,
  MetricStats,
  ParamValue,
  RunCard,
} from './run-card.ts';
export { beginCardCapture, cardsWritten, editNote, editTags, runCardOf } from './run-card.ts';
export type { Layout } from './run-files.ts';
export { layoutOf, runFiles, runIdPattern } from './run-files.ts';
export { copyRunLog, LogFollowCursor, runLogSizeBytes, tailLines } from './run-log.ts';
export type { RunMeta, TagEdit } from './run-meta.ts';
export { applyTagEdit, tagEditOf, tagPattern } from './run-meta.ts';
export { readServeToken, serveTokenPath } from './serve-token.ts';
export type { Timing } from './session.ts';
export { Session } from './session.ts';
export type { ConfigureSlotsOptions, SlotView } from './slots.ts';
export type { LifecycleSnapshot, RunState, RunView, StatusView } from './status-view.ts';
export type {
  AbortOptions,
  ListedRun,
  ListedState,
  SlotRecovery,
  StartedRun,
  StartOptions,
  WorkspaceOptions,
  WorkspaceStatus,
} from './workspace.ts';
export { defaultGraceMs, defaultRetention, openWorkspace, Workspace } from './workspace.ts';
