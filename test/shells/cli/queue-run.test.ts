// Issue 12, the real-process tests: `runwarden` as a user runs it, real jobs, real files.
// - 4 slots, 12 jobs of random length, some failing: at most 4 run at once (each job writes its
//   start and end marks), no slot runs two at once, all 12 end with the right outcome and code, and
//   starts respect priority then arrival.
// - The same with every runwarden process (commands and kicks) SIGKILLed by PID again and again
//   mid-way: only the monitors' kicks are left to carry the queue to its end.
// The test runs no runwarden command while the queue drains: it waits for the jobs' own end marks,
// so whatever started each next run was a monitor's kick. Only then one `runwarden list` records
// the last ends (the monitor records the exit itself; its history record is written by the next
// runwarden process that looks, and a kick runs only while the queue holds entries).
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { getHistory } from '../../../shells/api/history.ts';
import { layoutOf } from '../../../shells/api/run-files.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { cliIn, cliPids, killPids, useQueueWorkspaces } from './queue-helpers.ts';

vi.setConfig({ testTimeout: 400_000 });
const { workspace } = useQueueWorkspaces();

/** A small seeded generator (mulberry32): the seed is printed so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Job {
  readonly name: string;
  readonly index: number;
  readonly priority: number;
  readonly sleepS: number;
  readonly code: number;
  id: string;
}

/** The job: marks its start (with its slot) and end in MARKS, sleeps, exits with CODE. */
const jobScript =
  'echo "$RUNWARDEN_SLOT $(date +%s%N)" >> "$MARKS/$JOB.start"; sleep "$SLEEP"; date +%s%N > "$MARKS/$JOB.end"; exit "$CODE"';

/** Twelve jobs of random length (0.3–1.2 s), priorities −1…2, every job with a 1-in-3 chance to fail (exit 3). */
function jobsOf(seed: number): Job[] {
  const next = random(seed);
  return Array.from({ length: 12 }, (_, index) => ({
    name: `j${String(index).padStart(2, '0')}`,
    index,
    priority: Math.floor(next() * 4) - 1,
    sleepS: Math.round((0.3 + next() * 0.9) * 100) / 100,
    code: next() < 1 / 3 ? 3 : 0,
    id: '',
  }));
}

/** Slots, a paused queue, the 12 submits (all queued), the marks directory. */
async function setUp(space: ReturnType<typeof workspace>, jobs: Job[], slots = 4): Promise<string> {
  expect((await cliIn(space, ['slots', '--count', String(slots)])).code).toBe(0);
  expect((await cliIn(space, ['queue', 'pause'])).code).toBe(0);
  const marks = join(space.ws, '..', 'marks');
  mkdirSync(marks);
  for (const job of jobs) {
    const submitted = await cliIn(space, [
      'submit',
      '--json',
      '--name',
      job.name,
      '--priority',
      String(job.priority),
      '--on-failure',
      'keep',
      '-e',
      `MARKS=${marks}`,
      '-e',
      `JOB=${job.name}`,
      '-e',
      `SLEEP=${job.sleepS}`,
      '-e',
      `CODE=${job.code}`,
      '--',
      'sh',
      '-c',
      jobScript,
    ]);
    expect(submitted.code, submitted.stderr).toBe(0);
    const answer = JSON.parse(submitted.stdout) as { id: string; state: string; position: number };
    expect(answer.state).toBe('queued');
    job.id = answer.id;
  }
  return marks;
}

/** Every job's history record, read without dispatching; null while some have none. */
function recordsOf(ws: string, jobs: readonly Job[]) {
  const layout = layoutOf(ws);
  const records = jobs.map((j) => getHistory(layout, j.id));
  return records.every((r) => r !== null) ? records : null;
}

/** How many jobs wrote their end mark (read from the files alone: no runwarden process). */
function endedCount(dir: string): number {
  return readdirSync(dir).filter((f) => f.endsWith('.end')).length;
}

/** After the queue drained: one `runwarden list` (it recovers), then every job's record. */
async function recordsAfterDrain(space: ReturnType<typeof workspace>, marks: string, jobs: readonly Job[]) {
  await waitFor(() => endedCount(marks) === jobs.length, {
    timeoutMs: 180_000,
    intervalMs: 100,
    description: `all ${jobs.length} jobs to end, started by the kicks alone`,
  });
  expect((await cliIn(space, ['list', '--json'])).code).toBe(0);
  const records = recordsOf(space.ws, jobs);
  expect(records, 'every job has its history record').not.toBeNull();
  return records ?? [];
}

/** The marks: [slot, start ns, end ns] per job name. */
function marksOf(dir: string): Map<string, { slot: string; start: bigint; end: bigint | null }> {
  const marks = new Map<string, { slot: string; start: bigint; end: bigint | null }>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.start'))) {
    const name = file.slice(0, -'.start'.length);
    const lines = readFileSync(join(dir, file), 'utf8').trim().split('\n');
    // Appended at every start: a job started twice has two lines.
    expect(lines, `${name} started ${lines.length} times`).toHaveLength(1);
    const [slot, start] = (lines[0] ?? '').split(' ');
    let end: bigint | null = null;
    try {
      end = BigInt(readFileSync(join(dir, `${name}.end`), 'utf8').trim());
    } catch {
      end = null;
    }
    marks.set(name, { slot: slot ?? '', start: BigInt(start ?? '0'), end });
  }
  return marks;
}

/** What the marks prove: ≤ 4 at once, one run per slot at a time. */
function checkConcurrency(dir: string, jobs: readonly Job[]): void {
  const marks = marksOf(dir);
  expect([...marks.keys()].sort()).toEqual(jobs.map((j) => j.name).sort());
  const events = [...marks.values()].flatMap((m) => [
    { t: m.start, d: 1 },
    { t: m.end ?? m.start, d: -1 },
  ]);
  // Ends before starts at the same instant: touching intervals do not overlap.
  events.sort((a, b) => (a.t === b.t ? a.d - b.d : a.t < b.t ? -1 : 1));
  let now = 0;
  let most = 0;
  for (const e of events) {
    now += e.d;
    most = Math.max(most, now);
  }
  expect(most).toBeLessThanOrEqual(4);
  expect(most).toBeGreaterThanOrEqual(2); // they did run side by side
  const bySlot = new Map<string, { start: bigint; end: bigint }[]>();
  for (const m of marks.values())
    bySlot.set(m.slot, [...(bySlot.get(m.slot) ?? []), { start: m.start, end: m.end ?? m.start }]);
  expect([...bySlot.keys()].every((s) => /^slot[0-3]$/.test(s))).toBe(true);
  for (const runs of bySlot.values()) {
    runs.sort((a, b) => (a.start < b.start ? -1 : 1));
    for (let i = 1; i < runs.length; i++)
      expect((runs[i]?.start ?? 0n) >= (runs[i - 1]?.end ?? 0n)).toBe(true);
  }
}

/** Outcomes and codes as the jobs chose; starts in priority-then-arrival order. */
function checkRecords(
  records: NonNullable<ReturnType<typeof recordsOf>>,
  jobs: readonly Job[],
  toleranceMs: number,
): void {
  for (const [i, job] of jobs.entries()) {
    const record = records[i];
    expect(record?.outcome, `${job.name}: ${JSON.stringify(record)}`).toBe(
      job.code === 0 ? 'finished' : 'failed',
    );
    expect(record?.exitCode).toBe(job.code);
  }
  const expected = [...jobs].sort((a, b) => b.priority - a.priority || a.index - b.index);
  const startedAt = new Map(jobs.map((j, i) => [j.name, records[i]?.startedAt ?? 0]));
  // Order: an entry is claimed only after every entry ahead of it was (strict order), and a claimed
  // entry is confirmed running within the start latency L. So for a ahead of b:
  // started(a) <= claimed(a) + L <= claimed(b) + L <= started(b) + L. With one slot (one dispatcher
  // at a time) L is 0 here: starts are sequential. With several slots freeing together several
  // kicks start entries side by side and L is one start under load.
  for (let i = 0; i < expected.length; i++)
    for (let j = i + 1; j < expected.length; j++) {
      const a = expected[i] as Job;
      const b = expected[j] as Job;
      expect(
        (startedAt.get(a.name) ?? 0) <= (startedAt.get(b.name) ?? 0) + toleranceMs,
        `${a.name} (priority ${a.priority}) should start before ${b.name} (priority ${b.priority}); starts in expected order: ${expected.map((x) => `${x.name}/p${x.priority}@${(startedAt.get(x.name) ?? 0) - Math.min(...startedAt.values())}`).join(' ')}`,
      ).toBe(true);
    }
}

const seedOf = () => Number(process.env.RW_TEST_SEED ?? Date.now() % 1_000_000);

describe('the queue with real processes', () => {
  it('runs 12 jobs on 4 slots: at most 4 at once, every code right, priority then arrival', async () => {
    const seed = seedOf();
    console.log(`queue-run seed ${seed} (replay: RW_TEST_SEED=${seed})`);
    const space = workspace();
    const jobs = jobsOf(seed);
    const marks = await setUp(space, jobs);
    expect((await cliIn(space, ['queue', 'resume'])).code).toBe(0);
    // Only the monitors' kicks start the rest: the test runs no runwarden command meanwhile.
    const records = await recordsAfterDrain(space, marks, jobs);
    checkRecords(records, jobs, 1_500);
    checkConcurrency(marks, jobs);
  });

  it('starts in exactly priority-then-arrival order on one slot (one dispatcher at a time)', async () => {
    const seed = seedOf() + 2;
    console.log(`queue-run (one slot) seed ${seed} (replay: RW_TEST_SEED=${seed - 2})`);
    const space = workspace();
    const jobs = jobsOf(seed)
      .slice(0, 6)
      .map((j) => ({ ...j, sleepS: 0.2 }));
    const marks = await setUp(space, jobs, 1);
    expect((await cliIn(space, ['queue', 'resume'])).code).toBe(0);
    const records = await recordsAfterDrain(space, marks, jobs);
    checkRecords(records, jobs, 0);
    const starts = marksOf(marks);
    const expected = [...jobs]
      .sort((a, b) => b.priority - a.priority || a.index - b.index)
      .map((j) => j.name);
    const byMark = [...starts.entries()].sort((a, b) => (a[1].start < b[1].start ? -1 : 1)).map(([n]) => n);
    expect(byMark).toEqual(expected);
  });

  it('carries the queue to its end with every runwarden process SIGKILLed mid-way, by the kicks alone', async () => {
    const seed = seedOf() + 1;
    console.log(`queue-run (killed) seed ${seed} (replay: RW_TEST_SEED=${seed - 1})`);
    const space = workspace();
    const jobs = jobsOf(seed);
    const marks = await setUp(space, jobs);
    const resume = cliIn(space, ['queue', 'resume']);
    let killed = 0;
    // While at least two jobs run (their monitors will kick later), SIGKILL every runwarden
    // process alive: the resume command mid-dispatch, kicks mid-start. Until half have ended.
    await waitFor(
      async () => {
        const m = marksOf(marks);
        const running = [...m.values()].filter((x) => x.end === null).length;
        if (running >= 2) {
          const pids = cliPids(space.tag);
          if (pids.length > 0) {
            await killPids(pids);
            killed += pids.length;
          }
        }
        return endedCount(marks) >= 6;
      },
      {
        timeoutMs: 120_000,
        intervalMs: 25,
        description: 'half the runs to end while runwarden processes are killed',
      },
    );
    await resume;
    console.log(`queue-run (killed): SIGKILLed ${killed} runwarden process(es) by pid`);
    expect(killed).toBeGreaterThan(0);
    const records = await recordsAfterDrain(space, marks, jobs);
    for (const [i, job] of jobs.entries()) {
      expect(records[i]?.outcome, job.name).toBe(job.code === 0 ? 'finished' : 'failed');
      expect(records[i]?.exitCode).toBe(job.code);
    }
    checkConcurrency(marks, jobs);
    // Nothing started twice: marksOf found one start line per job (checkConcurrency read them all).
    expect(readdirSync(marks).filter((f) => f.endsWith('.start'))).toHaveLength(12);
  });
});
