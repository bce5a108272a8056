// `runwarden dispatch` (hidden, issue 12): what a job's monitor runs once the job's exit is
// recorded, so the next queued run starts with no runwarden process alive. Bounded: it exits by
// itself after `boundMs` whatever happens (a dispatcher that dies mid-way loses nothing: its
// claims are restored by the next one). Does nothing when the queue is empty.
import type { Workspace } from '../../api/workspace.ts';
import { printJson } from '../output.ts';

/** Longest a kicked dispatch may live (recovering the slots and starting runs, each bounded). */
export const dispatchBoundMs = 120_000;

export async function dispatchCommand(ws: Workspace, flags: { json?: boolean }): Promise<number> {
  const bound = setTimeout(() => process.exit(1), dispatchBoundMs);
  bound.unref();
  try {
    if (!ws.hasQueuedWork()) {
      if (flags.json === true) printJson({ started: [], ended: [], restored: [], hold: null });
      return 0;
    }
    const report = await ws.dispatch();
    if (flags.json === true) printJson(report);
    return 0;
  } finally {
    clearTimeout(bound);
  }
}
