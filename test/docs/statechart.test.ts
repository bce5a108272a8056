// Proves docs/architecture.md shows the statechart of the machine as it is now (regenerate
// with `npm run docs:statechart`), and that every state and transition appears in it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { architecturePath, withCurrentStatechart } from '../../docs/generate-statechart.ts';
import { lifecycleMachine } from '../../machine/lifecycle.ts';
import { edgesOf, toMermaid } from '../../machine/mermaid.ts';
import { stateNodeIds } from '../../model/alphabet.ts';

describe('the architecture page', () => {
  it('holds the statechart generated from the machine definition (run npm run docs:statechart if not)', () => {
    const page = readFileSync(architecturePath, 'utf8');
    expect(withCurrentStatechart(page)).toBe(page);
  });

  it('draws every state node and every targeted transition', () => {
    const diagram = toMermaid(lifecycleMachine);
    for (const id of stateNodeIds().slice(1)) expect(diagram).toContain(` as ${id.replaceAll('.', '_')}`);
    const arrows = diagram.split('\n').filter((line) => /^ {2}\w+ --> \w+: /.test(line));
    expect(arrows).toHaveLength(edgesOf(lifecycleMachine).length);
  });
});
