// What every route module shares: the workspace, the live state, the event log and the limits.
import type { Workspace } from '../api/workspace.ts';
import type { EventLog } from './event-log.ts';
import type { LiveState } from './live-state.ts';
import type { LoginLimiter } from './login-limiter.ts';
import type { HttpLimits } from './options.ts';
import type { QueueWatch } from './queue-watch.ts';

/** The server's shared parts, handed to each route module. */
export interface AppContext {
  readonly ws: Workspace;
  readonly live: LiveState;
  readonly events: EventLog;
  readonly limits: HttpLimits;
  readonly token: string | null;
  /** Failed token checks per client address (the login and every protected route share it). */
  readonly limiter: LoginLimiter;
  /** issue 12: the server's look at every slot and the queue (and its dispatching loop). */
  readonly queue: QueueWatch;
}
