// Proves top's screen model (shells/cli/top/view.ts) as pure functions: keys move, follow, ask
// before an abort and quit; new data keeps the cursor on the same run; render fills the screen
// exactly, cut to its width, with the run's bar, loss and resources.
import { describe, expect, it } from 'vitest';
import type { RunView } from '../../../../shells/api/index.ts';
import { initialTopState, onKey, render, type TopData, withData } from '../../../../shells/cli/top/view.ts';

function run(id: string, metrics: Record<string, number> = {}): RunView {
  return {
    id,
    name: id,
    dir: `/ws/${id}`,
    pid: 100,
    abort: null,
    progress: { percent: 50, step: 5, total: 10, phase: 'train', etaMs: 60_000, metrics },
  } as unknown as RunView;
}

const data = (runs: RunView[]): TopData => ({ runs, queue: [], ended: [], readAt: 0, error: null });

describe('top keys', () => {
  const state = withData(initialTopState, data([run('a'), run('b')]));
  it('moves within the runs and follows the selected one', () => {
    const down = onKey(onKey(onKey(state, 'DOWN').state, 'DOWN').state, 'ENTER');
    expect(down.state.mode).toEqual({ kind: 'follow', runId: 'b' });
    expect(onKey(down.state, 'ESCAPE').state.mode).toEqual({ kind: 'list' });
  });
  it('asks before an abort: y aborts, anything else keeps the run', () => {
    const asked = onKey(state, 'a');
    expect(asked.state.mode).toEqual({ kind: 'confirm-abort', runId: 'a' });
    expect(asked.effect).toEqual({ kind: 'none' });
    expect(onKey(asked.state, 'y').effect).toEqual({ kind: 'abort', runId: 'a' });
    expect(onKey(asked.state, 'n').effect).toEqual({ kind: 'none' });
  });
  it('quits on q and asks a checkpoint on c', () => {
    expect(onKey(state, 'q').effect).toEqual({ kind: 'quit' });
    expect(onKey(state, 'c').effect).toEqual({ kind: 'checkpoint', runId: 'a' });
  });
  it('keeps the cursor on the same run when the list changes under it', () => {
    const onB = onKey(state, 'DOWN').state;
    expect(withData(onB, data([run('b'), run('c')])).selected).toBe(0);
  });
});

describe('top render', () => {
  it('fills the screen exactly, each line cut to the width, with bar, loss and resources', () => {
    const metrics = { loss: 0.25, 'sys/cpu': 95, 'sys/rss': 1.5 * 1024 ** 3, 'sys/gpu0/util': 87 };
    const lines = render(withData(initialTopState, data([run('train-1', metrics)])), 120, 12, 0);
    expect(lines).toHaveLength(12);
    expect(lines.every((line) => [...line].length === 120)).toBe(true);
    const row = lines.find((line) => line.startsWith('▶ train-1')) ?? '';
    expect(row).toMatch(/50%/);
    expect(row).toMatch(/0\.25/);
    expect(row).toMatch(/95%/);
    expect(row).toMatch(/1\.5 GiB/);
    expect(row).toMatch(/87%/);
  });
});
