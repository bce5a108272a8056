// Proves, by enumerating every reachable state of the machine under its full event alphabet
// (xstate/graph, pure), that no state is unreachable, every event type acts, and the context
// shape invariant holds everywhere.
import { describe, expect, it } from 'vitest';
import type { AnyEventObject } from 'xstate';
import { type AdjacencyMap, getAdjacencyMap } from 'xstate/graph';
import { lifecycleMachine } from '../../machine/lifecycle.ts';
import { alphabet, alphabetFor, declaredEventTypes, idsOf, stateNodeIds } from '../../model/alphabet.ts';
import { contextShapeOf } from '../../model/invariants.ts';

type Snap = ReturnType<typeof lifecycleMachine.resolveState>;

/** Abstract the context to what guards and the shape rule read, so the state space stays small. */
function serialize(snap: Snap): string {
  const c = snap.context;
  return JSON.stringify([
    snap.value,
    c.run?.runId ?? null,
    c.lock === null ? null : c.lock.job === null ? 'lock' : 'lock+job',
    c.source !== null,
    c.handle !== null,
    c.abort === null ? null : c.abort.forced,
    c.outcome !== null,
    c.claim !== null,
    c.decision?.kind ?? null,
    c.decision?.kind === 'resume-abort' ? c.decision.abort.forced : null,
    c.error !== null,
    // Whether a step is being retried (the first lost claim re-inspects at once, later ones back off).
    c.attempts > 0,
  ]);
}

const events = alphabet();
// xstate/graph ships its own copy of xstate's declarations, so the machine's type must be bridged.
const logic = lifecycleMachine as unknown as Parameters<typeof getAdjacencyMap>[0];
const adjacency = getAdjacencyMap(logic, {
  events: alphabetFor() as unknown as Parameters<typeof getAdjacencyMap>[1]['events'],
  serializeState: (snap) => serialize(snap as unknown as Snap),
  input: {},
}) as unknown as AdjacencyMap<Snap, AnyEventObject>;
const vertices = Object.values(adjacency);
const edges = vertices.flatMap((v) =>
  (Object.values(v.transitions) as Array<{ event: AnyEventObject; state: Snap }>).map((t) => ({
    from: v.state,
    event: t.event,
    to: t.state,
  })),
);

describe('the statechart, exhaustively', () => {
  it('reaches every state node except the transient decision point', () => {
    const reached = new Set(vertices.flatMap((v) => ['runwarden', ...idsOf(v.state.value)]));
    const unreached = stateNodeIds().filter((id) => !reached.has(id));
    expect(unreached).toEqual(['runwarden.recovering.deciding']);
    console.log(
      `graph: ${vertices.length} reachable states, ${edges.length} transitions, ${events.length} events`,
    );
  });

  it('has every declared event type change the state somewhere', () => {
    const acting = new Set(
      edges.filter((e) => serialize(e.from) !== serialize(e.to)).map((e) => e.event.type),
    );
    const idle = declaredEventTypes().filter((type) => !acting.has(type));
    expect(idle).toEqual([]);
  });

  it('keeps the context shape invariant in every reachable state', () => {
    const bad = vertices.flatMap((v) => contextShapeOf(v.state));
    expect(bad).toEqual([]);
  });

  it('lets no event take the machine from a live state to idle without finalizing', () => {
    const skips = edges.filter((e) => e.from.matches('live') && e.to.matches('idle'));
    expect(skips.map((e) => e.event.type)).toEqual([]);
  });

  it('reaches finalizing only through a won claim, and idle from finalizing only by releasing', () => {
    for (const e of edges) {
      if (e.to.matches('finalizing') && !e.from.matches('finalizing')) {
        expect(e.event.type).toBe('xstate.done.actor.claimLock');
      }
      if (e.from.matches('finalizing') && e.to.matches('idle')) {
        expect(e.event.type).toBe('xstate.done.actor.releaseLock');
      }
    }
  });
});
