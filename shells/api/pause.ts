// Issue 14: pausing a run (SIGSTOP to the job's group, identity checked) and letting it go on
// (SIGCONT). A paused run is `paused` in every view, its stall timer does not run, and it keeps
// whatever it holds: GPU memory, open files, locks. An abort of a paused run still ends it.
import { RunwardenError } from './errors.ts';
import type { LifecycleSnapshot } from './status-view.ts';
import type { Workspace } from './workspace.ts';

/** The active run, checked against `runId`, in a session settled on it. */
async function withLiveRun<T>(
  ws: Workspace,
  runId: string | undefined,
  use: (
    send: (event: { type: 'run.pause' | 'run.continue'; at: number }) => void,
    snap: LifecycleSnapshot,
    wait: (p: (s: LifecycleSnapshot) => boolean, what: string) => Promise<LifecycleSnapshot>,
  ) => Promise<T>,
): Promise<T> {
  // Issue 12: the session of the run's own slot (slot 0 without slots or without a run).
  const session = ws.openSession(ws.slotOfRun(runId));
  try {
    const settled = await session.settled(30_000);
    const active = settled.hasTag('live') ? (settled.context.run?.runId ?? null) : null;
    if (active === null) throw new RunwardenError('RW_NO_ACTIVE_RUN', `no run is active in ${ws.dir}`);
    if (runId !== undefined && runId !== active)
      throw new RunwardenError('RW_NOT_FOUND', `run ${runId} is not active (the active run is ${active})`);
    return await use(
      (event) => session.actor.send(event),
      settled,
      (p, what) => session.waitFor(p, what, 30_000),
    );
  } finally {
    session.stop();
  }
}

/** Pause the active run (idempotent). Resolves once its group is stopped; returns the run id. */
export function pauseRun(ws: Workspace, runId?: string): Promise<string> {
  return withLiveRun(ws, runId, async (send, settled, wait) => {
    const id = settled.context.run?.runId ?? '';
    if (settled.matches({ live: 'paused' })) return id;
    if (!settled.matches({ live: 'running' }))
      throw new RunwardenError('RW_CONFLICT', `run ${id} is not running (it is ending); nothing to pause`);
    send({ type: 'run.pause', at: Date.now() });
    const snap = await wait((s) => !s.matches({ live: { paused: 'stopping' } }), `run ${id} to pause`);
    if (!snap.matches({ live: { paused: 'held' } })) {
      const error = snap.context.error;
      throw error === null
        ? new RunwardenError('RW_SIGNAL_FAILED', `run ${id} could not be paused`)
        : RunwardenError.of(error);
    }
    return id;
  });
}

/** Let a paused run go on (SIGCONT). Resolves once it runs again; returns the run id. */
export function continueRun(ws: Workspace, runId?: string): Promise<string> {
  return withLiveRun(ws, runId, async (send, settled, wait) => {
    const id = settled.context.run?.runId ?? '';
    if (!settled.matches({ live: 'paused' }))
      throw new RunwardenError('RW_CONFLICT', `run ${id} is not paused; nothing to continue`);
    send({ type: 'run.continue', at: Date.now() });
    const snap = await wait(
      (s) => !s.matches({ live: 'paused' }) || s.context.error !== null,
      `run ${id} to continue`,
    );
    if (snap.matches({ live: 'paused' }))
      throw RunwardenError.of(
        snap.context.error ?? { code: 'RW_SIGNAL_FAILED', message: `run ${id} could not be continued` },
      );
    return id;
  });
}
