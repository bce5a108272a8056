// The monitor's kick (issue 12): when a run ends, its monitor starts the queue's dispatcher, so
// queued runs start with NO runwarden process alive. Submissions are made by child processes
// that exit; this test process opens no session until the checks at the end.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openWorkspace } from '../../../shells/api/index.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { childResult, endAll, pidsMentioning, tempBase } from './queue-helpers.ts';

const bases: string[] = [];
afterEach(async () => {
  for (const base of bases.splice(0)) expect(await endAll(base)).toEqual([]);
});

/** The command lines of the processes naming `text` (for the "nothing but monitors and jobs" check). */
function commandsMentioning(text: string): string[] {
  return pidsMentioning(text).flatMap((pid) => {
    try {
      return [readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ')];
    } catch {
      return [];
    }
  });
}

describe('the kick', () => {
  it('starts the next queued runs after each run ends, with no runwarden process alive', async () => {
    const { base, ws } = tempBase();
    bases.push(base);
    const gate = join(base, 'gate');
    const first = JSON.parse(
      await childResult([
        'submit',
        ws,
        JSON.stringify({ argv: ['sh', '-c', `while [ ! -e ${gate} ]; do sleep 0.02; done`] }),
      ]),
    );
    expect(first.state).toBe('started');
    const later: { id: string; state: string }[] = [];
    for (const tag of ['b', 'c']) {
      const marker = join(base, tag);
      const argv = ['sh', '-c', `echo "$RUNWARDEN_RUN_ID" > ${marker}.tmp && mv ${marker}.tmp ${marker}`];
      later.push(JSON.parse(await childResult(['submit', ws, JSON.stringify({ argv, name: tag })])));
    }
    expect(later.map((r) => r.state)).toEqual(['queued', 'queued']);
    // Only the first run's monitor and job are alive: no runwarden CLI, no library process.
    const alive = commandsMentioning(base);
    expect(alive.filter((c) => !c.includes('rw-monitor') && !c.startsWith('sh -c while'))).toEqual([]);
    expect(alive.some((c) => c.includes('rw-monitor'))).toBe(true);

    writeFileSync(gate, '');
    // b starts from the first run's kick; c from b's.
    for (const [i, tag] of ['b', 'c'].entries()) {
      const marker = join(base, tag);
      await waitFor(() => existsSync(marker), {
        timeoutMs: 60_000,
        description: `run ${tag} to start from a kick`,
      });
      expect(readFileSync(marker, 'utf8').trim()).toBe(later[i]?.id);
    }
    // The kicks end by themselves (bounded, detached): none is left once the queue is empty.
    await waitFor(() => commandsMentioning(ws).filter((c) => c.includes(' dispatch ')).length === 0, {
      timeoutMs: 60_000,
      description: 'the kicks to exit',
    });
    const w = openWorkspace(ws, { kick: false });
    await waitFor(async () => (await w.status()).runs.length === 0, {
      timeoutMs: 30_000,
      description: 'c to end',
    });
    for (const id of [first.id, ...later.map((r) => r.id)]) expect(w.history(id)?.outcome).toBe('finished');
    expect(w.queue().entries).toEqual([]);
  });

  it('does nothing when the queue is empty: a run ends without any dispatcher process', async () => {
    const { base, ws } = tempBase();
    bases.push(base);
    const gate = join(base, 'gate');
    const only = JSON.parse(
      await childResult([
        'submit',
        ws,
        JSON.stringify({ argv: ['sh', '-c', `while [ ! -e ${gate} ]; do sleep 0.02; done`] }),
      ]),
    );
    expect(only.state).toBe('started');
    const monitors = () => commandsMentioning(base).filter((c) => c.includes('rw-monitor'));
    expect(monitors()).toHaveLength(1);
    const seen: string[] = [];
    writeFileSync(gate, '');
    await waitFor(
      () => {
        seen.push(...commandsMentioning(ws).filter((c) => c.includes(' dispatch ')));
        return monitors().length === 0;
      },
      { timeoutMs: 30_000, intervalMs: 1, description: 'the monitor to exit' },
    );
    expect(existsSync(join(ws, only.id, 'exit.json'))).toBe(true);
    expect(seen).toEqual([]);
  });
});
