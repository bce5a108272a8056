// runwarden's library API: `import { openWorkspace } from 'runwarden'`.

export type { ErrorInfo, Outcome, RecoveryNote, RetentionPolicy, RunConfig } from '../../machine/types.ts';
export type { HistoryRecord, HistorySummary } from '../../runtime/local/history-store.ts';
export { RunwardenError } from './errors.ts';
export { readServeToken, serveTokenPath } from './serve-token.ts';
export type { Timing } from './session.ts';
export { Session } from './session.ts';
export type { RunState, RunView, StatusView } from './status-view.ts';
export type { AbortOptions, StartedRun, StartOptions, WorkspaceOptions } from './workspace.ts';
export { openWorkspace, Workspace } from './workspace.ts';
