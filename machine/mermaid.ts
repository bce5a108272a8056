// Renders the machine definition as a Mermaid state diagram (for docs and the dashboard).
import type { AnyStateMachine, AnyStateNode } from 'xstate';

type AnyTransition = AnyStateNode['always'] extends (infer T)[] | undefined ? T : never;

type Guard = unknown;

/** A readable name for a guard: a string, {type, params}, or and/or/not of guards. */
function guardName(guard: Guard): string | null {
  if (guard === undefined || guard === null) return null;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && 'type' in guard) {
    const params =
      'params' in guard && guard.params !== undefined
        ? `(${Object.values(guard.params as object).join(',')})`
        : '';
    return `${String(guard.type)}${params}`;
  }
  if (typeof guard === 'function' && 'guards' in guard && Array.isArray(guard.guards)) {
    return guard.guards.map(guardName).join(' and ');
  }
  return 'guard';
}

/** A short label for an event type: done/error of an actor, a named delay, or the event itself. */
export function eventLabel(type: string): string {
  const actor = /^xstate\.(done|error)\.actor\.(.+)$/.exec(type);
  if (actor) return `${actor[2]} ${actor[1] === 'done' ? 'done' : 'failed'}`;
  const after = /^xstate\.after\.([^.]+)\./.exec(type);
  if (after) return `after ${after[1]}`;
  return type;
}

const idOf = (node: AnyStateNode) => node.id.replaceAll('.', '_');

interface Edge {
  readonly from: AnyStateNode;
  readonly to: AnyStateNode;
  readonly label: string;
}

/** The edges of one transition; an unguarded one after guarded siblings is their `else`. */
function edgesOfTransition(node: AnyStateNode, t: AnyTransition, isElse: boolean): Edge[] {
  const guard = guardName(t.guard) ?? (isElse ? 'else' : null);
  const label = [t.eventType ? eventLabel(t.eventType) : '', guard ? `[${guard}]` : '']
    .filter(Boolean)
    .join(' ');
  return (t.target ?? []).map((to) => ({ from: node, to, label: label || 'always' }));
}

/** Every targeted transition of the machine, in definition order. */
export function edgesOf(machine: AnyStateMachine): Edge[] {
  const edges: Edge[] = [];
  const walk = (node: AnyStateNode) => {
    for (const group of [...node.transitions.values(), node.always ?? []]) {
      for (const [i, t] of group.entries()) {
        edges.push(
          ...edgesOfTransition(
            node,
            t,
            group.slice(0, i).some((prior) => prior.guard),
          ),
        );
      }
    }
    for (const child of Object.values(node.states)) walk(child);
  };
  walk(machine.root);
  return edges;
}

/** The machine as a Mermaid `stateDiagram-v2`: nested states, initial states, labelled edges. */
export function toMermaid(machine: AnyStateMachine): string {
  const lines = ['stateDiagram-v2'];
  const declare = (node: AnyStateNode, indent: string) => {
    const children = Object.values(node.states);
    lines.push(`${indent}state "${node.key}" as ${idOf(node)}`);
    if (children.length === 0) return;
    lines.push(`${indent}state ${idOf(node)} {`);
    const initial = node.initial?.target?.[0];
    if (initial) lines.push(`${indent}  [*] --> ${idOf(initial)}`);
    for (const child of children) declare(child, `${indent}  `);
    lines.push(`${indent}}`);
  };
  const top = Object.values(machine.root.states);
  const initial = machine.root.initial?.target?.[0];
  if (initial) lines.push(`  [*] --> ${idOf(initial)}`);
  for (const node of top) declare(node, '  ');
  for (const edge of edgesOf(machine)) lines.push(`  ${idOf(edge.from)} --> ${idOf(edge.to)}: ${edge.label}`);
  return `${lines.join('\n')}\n`;
}
