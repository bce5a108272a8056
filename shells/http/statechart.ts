// The lifecycle statechart as the dashboard draws it: the Mermaid text generated from the machine
// definition and every state node id, computed once (the machine never changes while serving).
import type { AnyStateNode } from 'xstate';
import { lifecycleMachine } from '../../machine/lifecycle.ts';
import { toMermaid } from '../../machine/mermaid.ts';

/** What GET /api/statechart answers. */
export interface Statechart {
  /** A Mermaid `stateDiagram-v2`; a node's id is its state node id with dots as underscores. */
  readonly mermaid: string;
  /** Every state node id below the root, in definition order (`runwarden.live.running.healthy`). */
  readonly states: readonly string[];
}

/** Every state node id below `node`, depth first in definition order. */
function stateIdsBelow(node: AnyStateNode): string[] {
  return Object.values(node.states).flatMap((child) => [child.id, ...stateIdsBelow(child)]);
}

let cached: Statechart | null = null;

/** The lifecycle machine's statechart (built on first use, then shared). */
export function lifecycleStatechart(): Statechart {
  cached ??= { mermaid: toMermaid(lifecycleMachine), states: stateIdsBelow(lifecycleMachine.root) };
  return cached;
}
