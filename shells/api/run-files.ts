// Where a run keeps its files, for readers that open them by name (logs, events, journal).
import { type Layout, layoutOf, runFiles, runIdPattern } from '../../runtime/local/layout.ts';

export type { Layout };
/**
 * The file names inside a run directory: `stdout`, `stderr` (the job's own fds), `events` (the
 * job's NDJSON), `lifecycle` (the journal), `config`, `exit` (the monitor's exit record) and more.
 */
/** What a run id may look like: letters, digits, '.', '-', '_', at most 128, not starting with a sign. */
/** The layout (paths of lock, history, run directories) of the workspace rooted at `root`. */
export { layoutOf, runFiles, runIdPattern };
