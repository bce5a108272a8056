// Issue 17 through the real CLI: the run card of a start (a hung git never holds the start up),
// tags/notes/params at start and edited after the end (durable, the index kept true, two
// concurrent editors both kept), list's filters and columns, compare's numbers checked against
// the runs' events files, and one-line usage errors that start nothing.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/wait-for.ts';
import { alive, repoRoot, runCli, useWorkspaces } from './run-cli.ts';

const { workspace } = useWorkspaces();
const metricsJob = join(repoRoot, 'test/fixtures/jobs/metrics_job.py');
const jobEnv = { PYTHONPATH: join(repoRoot, 'shells/job') };

/** The single line a failing command wrote to stderr. */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0] ?? '';
}

/** Start the metrics job with `args` before `--`, wait for its end; its run id. */
async function metricsRun(ws: string, seed: number, args: string[] = [], code = 0): Promise<string> {
  const started = await runCli(
    ws,
    ['start', '--watch', ...args, '--', 'python3', metricsJob, String(seed), String(code)],
    {
      env: jobEnv,
    },
  );
  expect(started.code).toBe(code);
  const id = /^started (\S+) \(pid/m.exec(started.stdout)?.[1];
  expect(id).toBeDefined();
  return id ?? '';
}

/** last/min/max (with steps) of each metric, computed here from a run's events file. */
function statsFromEvents(ws: string, runId: string) {
  const stats: Record<
    string,
    {
      last: unknown;
      min: { value: number; step: number } | null;
      max: { value: number; step: number } | null;
      count: number;
    }
  > = {};
  for (const line of readFileSync(join(ws, runId, 'events.ndjson'), 'utf8').split('\n')) {
    if (line === '') continue;
    const e = JSON.parse(line) as { kind: string; name?: string; value?: number | string; step?: number };
    if (e.kind !== 'metric' || e.name === undefined || e.step === undefined) continue;
    stats[e.name] ??= { last: null, min: null, max: null, count: 0 };
    const s = stats[e.name];
    if (s === undefined) continue;
    s.count += 1;
    s.last = { value: e.value, step: e.step };
    if (typeof e.value !== 'number') continue;
    if (s.min === null || e.value < s.min.value) s.min = { value: e.value, step: e.step };
    if (s.max === null || e.value > s.max.value) s.max = { value: e.value, step: e.step };
  }
  return stats;
}

describe('the run card', () => {
  it('a start with a hung git is confirmed running before the card, which says git did not answer', async () => {
    const ws = workspace();
    const bin = mkdtempSync(join(tmpdir(), 'rw-hung-git-'));
    const pids = join(bin, 'pids');
    // A `git` that never answers: records its pid and its sleep's, then waits 300 s.
    writeFileSync(join(bin, 'git'), `#!/bin/sh\nsleep 300 &\necho "$$ $!" >> ${pids}\nwait\n`);
    chmodSync(join(bin, 'git'), 0o755);
    const env = {
      PATH: `${bin}${delimiter}${process.env.PATH}`,
      CUDA_VISIBLE_DEVICES: '1',
      RUNWARDEN_TOKEN: 'do-not-record-me',
    };
    // Bounded far below the hung git's 300 s: the CLI ends after the card's 2 s bound.
    const start = await runCli(ws, ['start', '--json', '--', 'sleep', '0.2'], { env, timeoutMs: 60_000 });
    expect(start.code).toBe(0);
    const { id } = JSON.parse(start.stdout) as { id: string };
    const card = JSON.parse(readFileSync(join(ws, id, 'card.json'), 'utf8'));
    expect(card.notes).toContain('git: git did not answer within 2000 ms');
    expect(card.git).toBeNull();
    expect(card.env).toMatchObject({ CUDA_VISIBLE_DEVICES: '1', RUNWARDEN_WORKSPACE: ws });
    expect(card.envWithheld).toContain('RUNWARDEN_TOKEN');
    expect(readFileSync(join(ws, id, 'card.json'), 'utf8')).not.toContain('do-not-record-me');
    // The job was let go before the card was done: the start never waited for git.
    const identity = JSON.parse(readFileSync(join(ws, id, 'identity.json'), 'utf8')) as { startedAt: number };
    expect(identity.startedAt).toBeLessThan(card.capturedAt + card.tookMs);
    const started = readFileSync(pids, 'utf8').trim().split(/\s+/).map(Number);
    await waitFor(() => started.every((pid) => !alive(pid)), {
      timeoutMs: 10_000,
      description: 'every hung git gone',
    });
    // The record keeps the card once the run ended.
    const show = await runCli(ws, ['show', id, '--json'], { env });
    expect(JSON.parse(show.stdout).card.notes).toContain('git: git did not answer within 2000 ms');
    // Attaching the card changed nothing `list` shows: the index keeps one line for the run.
    const index = readFileSync(join(ws, 'history.ndjson'), 'utf8').trim().split('\n');
    expect(index.filter((l) => l.includes(id))).toHaveLength(1);
  });

  it('a run that ended before its card (start --watch, a hung git) gets the card into its record', async () => {
    const ws = workspace();
    const bin = mkdtempSync(join(tmpdir(), 'rw-hung-git-'));
    const pids = join(bin, 'pids');
    writeFileSync(join(bin, 'git'), `#!/bin/sh\nsleep 300 &\necho "$$ $!" >> ${pids}\nwait\n`);
    chmodSync(join(bin, 'git'), 0o755);
    const env = { PATH: `${bin}${delimiter}${process.env.PATH}` };
    const start = await runCli(ws, ['start', '--watch', '--', 'true'], { env, timeoutMs: 60_000 });
    expect(start.code).toBe(0);
    const id = /^started (\S+) \(pid/m.exec(start.stdout)?.[1] ?? '';
    const record = JSON.parse(readFileSync(join(ws, 'history', `${id}.json`), 'utf8'));
    // The watcher recorded the end first (its record has the end), the card came later.
    expect(record.endedAt).toBeLessThan(record.card.capturedAt + record.card.tookMs);
    expect(record.card.notes).toContain('git: git did not answer within 2000 ms');
    const index = readFileSync(join(ws, 'history.ndjson'), 'utf8').trim().split('\n');
    expect(index.filter((l) => l.includes(id))).toHaveLength(1);
    const started = readFileSync(pids, 'utf8').trim().split(/\s+/).map(Number);
    await waitFor(() => started.every((pid) => !alive(pid)), {
      timeoutMs: 10_000,
      description: 'every hung git gone',
    });
  });

  it('show prints the card of a run in a dirty git repository with the GPUs of the nvidia-smi fixture', async () => {
    const ws = workspace();
    const repo = mkdtempSync(join(tmpdir(), 'rw-card-repo-'));
    execFileSync('git', ['init', '-q', '-b', 'exp'], { cwd: repo });
    writeFileSync(join(repo, 'train.py'), 'print(1)\n');
    execFileSync('git', ['add', '.'], { cwd: repo });
    execFileSync('git', ['-c', 'user.email=t@e', '-c', 'user.name=t', 'commit', '-qm', 'c'], { cwd: repo });
    writeFileSync(join(repo, 'train.py'), 'print(2)\n');
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repo, encoding: 'utf8' }).trim();
    // test/fixtures/bin/nvidia-smi stands in for NVIDIA's tool (no GPU here), in its CSV format.
    const env = { PATH: `${join(repoRoot, 'test/fixtures/bin')}${delimiter}${process.env.PATH}` };
    const start = await runCli(
      ws,
      [
        'start',
        '--watch',
        '-C',
        repo,
        '--tag',
        'baseline',
        '--note',
        'first try',
        '-P',
        'lr=0.1',
        '--',
        'python3',
        'train.py',
      ],
      { env },
    );
    expect(start.code).toBe(0);
    const show = await runCli(ws, ['show'], { env });
    expect(show.stdout).toContain(`code:    ${head.slice(0, 12)} on exp (dirty: diff`);
    expect(show.stdout).toContain(
      'gpus:    2: NVIDIA A100-SXM4-80GB GPU-5d4c7f3e-2b1a-4c9d-8e7f-6a5b4c3d2e1f',
    );
    expect(show.stdout).toContain('tags:    baseline');
    expect(show.stdout).toContain('note:    first try');
    expect(show.stdout).toContain('params:  lr=0.1');
    const diff = await runCli(ws, ['show', '--diff']);
    expect(diff.stdout).toContain('-print(1)\n+print(2)');
  });
});

describe('tags, notes, list filters and compare', () => {
  it('filters, edits tags and notes durably, and compares with the numbers of the events files', async () => {
    const ws = workspace();
    const a = await metricsRun(ws, 1, [
      '--tag',
      'sweep',
      '--tag',
      'draft',
      '-P',
      'batch=32',
      '--name',
      'alpha',
    ]);
    const b = await metricsRun(ws, 2, ['--tag', 'sweep', '-P', 'batch=64', '--name', 'beta']);
    const c = await metricsRun(ws, 3, ['--name', 'gamma', '--on-failure', 'keep'], 3);
    const ids = async (...args: string[]) => {
      const r = await runCli(ws, ['list', '--json', ...args]);
      expect(r.code).toBe(0);
      return (JSON.parse(r.stdout) as { id: string }[]).map((x) => x.id);
    };
    expect(await ids()).toEqual([c, b, a]);
    expect(await ids('--tag', 'sweep')).toEqual([b, a]);
    expect(await ids('--tag', 'sweep', '--tag', 'draft')).toEqual([a]);
    expect(await ids('--param', 'batch=64')).toEqual([b]);
    // A param the job reported itself (params event), compared as text.
    expect(await ids('--param', 'optim.name=adam', '--param', 'seed=2')).toEqual([b]);
    expect(await ids('--exit-code', '3')).toEqual([c]);
    expect(await ids('--name', 'al*')).toEqual([a]);
    expect(await ids('--command', 'metrics_job.py 2')).toEqual([b]);
    expect(await ids('--since', '1h')).toEqual([c, b, a]);
    expect(await ids('--until', '1h')).toEqual([]);
    expect(await ids('--outcome', 'failed')).toEqual([c]);

    const columns = await runCli(ws, ['list', '--columns', 'id,outcome,param.batch,loss']);
    const rowOf = (id: string) => columns.stdout.split('\n').find((l) => l.startsWith(id)) ?? '';
    expect(columns.stdout.split('\n')[0]).toMatch(/^RUN\s+OUTCOME\s+PARAM\.BATCH\s+LOSS$/);
    expect(rowOf(a)).toMatch(/finished\s+32\s+NaN$/);
    const typo = await runCli(ws, ['list', '--columns', 'id,los']);
    expect(typo.code).toBe(0);
    expect(oneLine(typo.stderr)).toMatch(/--columns los: no listed run has a metric named los/);

    // Two editors at once: neither loses the other's tag.
    const [t1, t2] = await Promise.all([
      runCli(ws, ['tag', a, '+best', '-draft']),
      runCli(ws, ['tag', a, '+keep']),
    ]);
    expect([t1.code, t2.code]).toEqual([0, 0]);
    const tagged = JSON.parse((await runCli(ws, ['tag', a, '--json'])).stdout) as { tags: string[] };
    expect(tagged.tags.sort()).toEqual(['best', 'keep', 'sweep']);
    expect(await ids('--tag', 'best')).toEqual([a]);
    expect(await ids('--tag', 'draft')).toEqual([]);
    // The edited run keeps its place in the order.
    expect(await ids()).toEqual([c, b, a]);
    expect((await runCli(ws, ['note', b, 'lr', 'too', 'high'])).code).toBe(0);
    expect((await runCli(ws, ['show', b])).stdout).toContain('note:    lr too high');
    // Durable: the record holds the edits, and an index rebuilt from the records agrees.
    expect(JSON.parse(readFileSync(join(ws, 'history', `${a}.json`), 'utf8')).tags.sort()).toEqual([
      'best',
      'keep',
      'sweep',
    ]);
    rmSync(join(ws, 'history.ndjson'));
    expect(await ids('--tag', 'best')).toEqual([a]);
    expect(readdirSync(join(ws, 'history')).filter((n) => n.endsWith('.edit'))).toEqual([]);

    const compared = await runCli(ws, ['compare', a, b, c, '--json']);
    expect(compared.code).toBe(0);
    const cmp = JSON.parse(compared.stdout) as {
      runs: {
        id: string;
        outcome: string;
        exitCode: number;
        params: Record<string, unknown>;
        durationMs: number;
      }[];
      metrics: {
        name: string;
        values: ({
          last: { value: unknown; step: number };
          min: { value: number; step: number };
          max: { value: number; step: number };
          count: number;
          exact: boolean;
        } | null)[];
      }[];
      params: { name: string; differs: boolean }[];
      configDiff: { field: string }[];
    };
    expect(cmp.runs.map((r) => [r.id, r.outcome, r.exitCode])).toEqual([
      [a, 'finished', 0],
      [b, 'finished', 0],
      [c, 'failed', 3],
    ]);
    expect(cmp.runs[1]?.params).toMatchObject({
      batch: '64',
      seed: 2,
      lr: 0.02,
      'optim.name': 'adam',
      'optim.beta': 0.9,
    });
    const records = [a, b, c].map((id) =>
      JSON.parse(readFileSync(join(ws, 'history', `${id}.json`), 'utf8')),
    );
    records.forEach((r, i) => {
      expect(cmp.runs[i]?.durationMs).toBe(r.endedAt - r.startedAt);
    });
    [a, b, c].forEach((id, i) => {
      const expected = statsFromEvents(ws, id);
      for (const metric of cmp.metrics) {
        const got = metric.values[i];
        const want = expected[metric.name];
        expect(got).toMatchObject({
          last: want?.last,
          min: want?.min,
          max: want?.max,
          count: want?.count,
          exact: true,
        });
      }
    });
    expect(cmp.metrics.map((m) => m.name).sort()).toEqual(['acc', 'loss']);
    expect(cmp.params.find((p) => p.name === 'batch')?.differs).toBe(true);
    expect(cmp.params.find((p) => p.name === 'optim.name')?.differs).toBe(false);
    expect(cmp.configDiff.map((d) => d.field)).toEqual(expect.arrayContaining(['name', 'argv']));
    const only = JSON.parse((await runCli(ws, ['compare', a, b, '--metric', 'acc', '--json'])).stdout);
    expect(only.metrics.map((m: { name: string }) => m.name)).toEqual(['acc']);
    const table = await runCli(ws, ['compare', a, b]);
    expect(table.stdout).toMatch(/param\*\s+batch\s+32\s+64/);
    expect(table.stdout).toMatch(/metric\s+loss last\s+NaN \(step 16\)\s+NaN \(step 16\)/);
  }, 120_000);
});

describe('bad input', () => {
  it('refuses bad labels, filters and edits with one line and exit 2, starting nothing', async () => {
    const ws = workspace();
    const cases: [string[], RegExp][] = [
      [['start', '--param', 'novalue', '--', 'true'], /--param novalue: expected NAME=VALUE/],
      [['start', '--tag', 'has space', '--', 'true'], /--tag 'has space': a tag is letters/],
      [['start', '--card-env', 'BAD-NAME', '--', 'true'], /--card-env 'BAD-NAME'/],
      [['start', '--note', 'a\u0007b', '--', 'true'], /--note: the note holds control characters/],
      [['list', '--since', 'yesterday'], /invalid time 'yesterday'/],
      [['list', '--exit-code', '300'], /invalid exit code '300'/],
      [['list', '--param', 'x'], /invalid param 'x'/],
      [['list', '--columns', 'id,a b'], /invalid column 'a b'/],
      [['compare', 'only-one'], /compare needs two or more runs/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(ws, args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(oneLine(r.stderr)).toMatch(message);
    }
    expect(
      existsSync(ws)
        ? readdirSync(ws).filter((n) => n !== 'history' && !n.endsWith('.ndjson') && !n.startsWith('.'))
        : [],
    ).toEqual([]);
    const a = await metricsRun(ws, 1);
    const b = await metricsRun(ws, 2);
    for (const [args, message, code] of [
      [['tag', a], null, 0],
      [['tag', a, '+bad tag'], /tag 'bad tag': a tag is letters/, 2],
      [['compare', a, a], /is given twice/, 2],
      [
        ['compare', a, b, '--metric', 'lss'],
        /--metric lss: no compared run reported it; metrics: loss, acc/,
        2,
      ],
      [['note', a, 'x', '--clear'], /either a text or --clear/, 2],
      [['tag', 'nosuchrun', '+x'], /no run 'nosuchrun'/, 4],
    ] as [string[], RegExp | null, number][]) {
      const r = await runCli(ws, args);
      expect(r.code, args.join(' ')).toBe(code);
      if (message !== null) expect(oneLine(r.stderr)).toMatch(message);
    }
  }, 120_000);
});
