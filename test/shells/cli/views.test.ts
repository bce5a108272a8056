// Proves that every CLI view tells the whole truth readably (issue 16): reading commands recover
// first, notes weigh what happened, \r lines show their last state, watch prints NDJSON and a
// frozen view, exit codes keep the contract — by running `runwarden` on real jobs.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/wait-for.ts';
import { runInPty } from './pty.ts';
import { alive, binPath, runCli, useWorkspaces } from './run-cli.ts';

const { workspace, track } = useWorkspaces();
const ESC = '\u001b';

/** Start `argv` in `ws` (extra flags before --) and return the run's id and dir. */
async function start(ws: string, argv: readonly string[], flags: readonly string[] = []) {
  const result = await runCli(ws, ['start', '--json', ...flags, '--', ...argv]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as { id: string; dir: string; pid: number };
}

/** Wait until the job of `dir` has exited (its exit record is on disk), nobody watching. */
async function exited(dir: string): Promise<void> {
  await waitFor(() => existsSync(join(dir, 'exit.json')), {
    timeoutMs: 20_000,
    description: 'the job to exit',
  });
}

/** The single line a command wrote to stderr. */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0] ?? '';
}

/** A python job: `code` run with python3 -c. */
const python = (code: string) => ['python3', '-c', code];

describe('reading commands recover first', () => {
  it('show right after an unwatched end shows the record, with a single quiet note', async () => {
    const ws = workspace();
    const run = await start(ws, ['sh', '-c', 'echo out; exit 3'], ['--on-failure', 'keep']);
    await exited(run.dir);
    const show = await runCli(ws, ['show']);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('failed (exit code 3)');
    expect(oneLine(show.stderr)).toMatch(
      /^runwarden: note: run \S+ failed \(code 3\) while no runwarden process/,
    );
    expect(show.stderr).not.toContain('warning');
    const again = await runCli(ws, ['status']);
    expect(again.stderr).toBe('');
  });

  it('logs right after an unwatched end records the run first', async () => {
    const ws = workspace();
    const run = await start(ws, ['sh', '-c', 'echo hello']);
    await exited(run.dir);
    const logs = await runCli(ws, ['logs']);
    expect(logs.stdout).toBe('hello\n');
    // A clean end is not worth a word; the record exists without any status having run.
    expect(logs.stderr).toBe('');
    expect(existsSync(join(ws, 'history', `${run.id}.json`))).toBe(true);
  });
});

describe('the job environment', () => {
  it('starts python unbuffered unless the user says otherwise, so output shows while it runs', async () => {
    const ws = workspace();
    const run = await start(ws, python("import time; print('step 1 loss 0.5'); time.sleep(60)"));
    await waitFor(() => readFileSync(join(run.dir, 'stdout.log'), 'utf8').includes('step 1'), {
      timeoutMs: 15_000,
      description: 'the print to reach the log while the job sleeps',
    });
    await runCli(ws, ['abort', '--force']);
    const own = await start(ws, ['true'], ['-e', 'PYTHONUNBUFFERED=0']);
    const config = JSON.parse(readFileSync(join(own.dir, 'config.json'), 'utf8')) as {
      env: Record<string, string>;
    };
    expect(config.env.PYTHONUNBUFFERED).toBe('0');
  });

  it('-e KEY passes the caller value on, and refuses a KEY the caller does not have', async () => {
    const ws = workspace();
    const passed = await runCli(
      ws,
      ['start', '--watch', '-e', 'RW_TEST_FOO', '--', 'sh', '-c', 'echo "[$RW_TEST_FOO]"'],
      {
        env: { RW_TEST_FOO: 'bar' },
      },
    );
    expect(passed.code).toBe(0);
    expect((await runCli(ws, ['logs'])).stdout).toBe('[bar]\n');
    const refused = await runCli(ws, ['start', '-e', 'RW_TEST_UNSET_X', '--', 'true']);
    expect(refused.code).toBe(2);
    expect(oneLine(refused.stderr)).toContain('RW_TEST_UNSET_X is not set');
  });
});

describe('exit codes and one-line errors', () => {
  it('keeps the contract for -C, --json conflicts, unknown commands and abort', async () => {
    const ws = workspace();
    const cwd = await runCli(ws, ['start', '-C', '/nonexistent', '--', 'true']);
    expect(cwd.code).toBe(2);
    expect(oneLine(cwd.stderr)).toContain('--cwd /nonexistent');
    const stat = await runCli(ws, ['stat']);
    expect(stat.code).toBe(2);
    expect(oneLine(stat.stderr)).toContain('did you mean: runwarden status?');
    const none = await runCli(ws, ['abort']);
    expect(none.code).toBe(4);
    expect(oneLine(none.stderr)).toContain('--if-active');
    const ifActive = await runCli(ws, ['abort', '--if-active']);
    expect(ifActive.code).toBe(0);
    await start(ws, ['sleep', '30']);
    const conflict = await runCli(ws, ['start', '--json', '--', 'true']);
    expect(conflict.code).toBe(3);
    expect(JSON.parse(conflict.stdout)).toMatchObject({ error: { code: 'RW_CONFLICT' } });
    expect(oneLine(conflict.stderr)).toContain('already active');
  });

  it('serve on a busy port says so and suggests --port', async () => {
    const ws = workspace();
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const address = busy.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const serve = await runCli(ws, ['serve', '--port', String(port)]);
      expect(serve.code).toBe(1);
      const line = oneLine(serve.stderr);
      expect(line).toContain(`${port} is already in use`);
      expect(line).toContain('--port');
      expect(line).not.toContain('internal error');
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });
});

/** A job drawing a tqdm-style bar 50 times with \r on stderr, then failing. */
const barThenFail = python(
  [
    'import sys',
    'for i in range(1, 51):',
    "    sys.stderr.write('\\rtrain: %3d%%|%s| %d/50 [00:01<00:01, 50.0it/s]' % (i * 2, '#' * (i // 5), i))",
    "sys.stderr.write('\\n')",
    "sys.stderr.write('RuntimeError: CUDA out of memory\\n')",
    'sys.exit(1)',
  ].join('\n'),
);

describe('lines a job rewrote with \\r', () => {
  it('show, the record and logs on a terminal show the last state; the raw log is untouched', async () => {
    const ws = workspace();
    const run = await start(ws, barThenFail, ['--on-failure', 'keep']);
    await exited(run.dir);
    const show = await runCli(ws, ['show']);
    expect(show.stdout).toContain('train: 100%|##########| 50/50');
    expect(show.stdout).not.toContain(' 1/50');
    expect(show.stdout).not.toContain('^M');
    const record = JSON.parse((await runCli(ws, ['show', '--json'])).stdout) as { stderrTail: string[] };
    expect(record.stderrTail.join('\n')).not.toContain('\r');
    expect(record.stderrTail[0]).toMatch(/^train: 100%.*50\/50/);
    const raw = readFileSync(join(run.dir, 'stderr.log'), 'utf8');
    expect(raw.split('\r').length).toBe(51);
    const tty = await runInPty(ws, ['logs', '--stderr']);
    expect(tty.screen).toContain('50/50');
    expect(tty.screen).not.toContain(' 1/50');
    expect(tty.screen).not.toContain('^M');
  });

  it('keeps colours on a colour terminal and shows plain text without colour', async () => {
    const ws = workspace();
    await runCli(ws, ['start', '--watch', '--', 'printf', '\\033[31mred\\033[0m plain\\n']);
    const colour = await runInPty(ws, ['logs'], { colour: true });
    expect(colour.screen).toContain(`${ESC}[31mred`);
    const plain = await runInPty(ws, ['logs']);
    expect(plain.screen).toContain('red plain');
    expect(plain.screen).not.toContain('^[');
    expect(plain.screen).not.toContain(ESC);
  });
});

describe('watch', () => {
  it('--json prints one JSON object per line (NDJSON), the record last', async () => {
    const ws = workspace();
    const run = await start(ws, ['sh', '-c', 'echo go; sleep 1.5']);
    const watch = await runCli(ws, ['watch', '--json']);
    expect(watch.code).toBe(0);
    const lines = watch.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    const objects = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(objects.at(-1)).toMatchObject({ runId: run.id, outcome: 'finished' });
    expect(objects[0]).toHaveProperty('state');
  });

  it('ends with the frozen view (outcome, progress, metrics, checkpoint, dir, logs), also for an ended run', async () => {
    const ws = workspace();
    const job = python(
      [
        'import time',
        "print(\"{'loss': 0.4321, 'learning_rate': 5e-05, 'epoch': 1.0}\")",
        "print('Saving model checkpoint to out/checkpoint-10')",
        'time.sleep(1)',
      ].join('\n'),
    );
    const run = await start(ws, job);
    const live = await runCli(ws, ['watch']);
    expect(live.code).toBe(0);
    for (const text of [
      `run ${run.id} finished`,
      'loss 0.4321',
      'checkpoint: out/checkpoint-10',
      `dir:     ${run.dir}`,
      `runwarden logs ${run.id}`,
    ]) {
      expect(live.stdout).toContain(text);
    }
    const ended = await runCli(ws, ['watch', run.id]);
    expect(ended.code).toBe(0);
    expect(ended.stdout).toContain('checkpoint: out/checkpoint-10');
    expect(ended.stdout).toContain(`runwarden logs ${run.id}`);
  });

  it('in a pipe prints a progress line at most every --progress-every', async () => {
    const bars = python(
      [
        'import sys, time',
        'for i in range(1, 31):',
        "    sys.stderr.write('\\rtrain: %3d%%|| %d/30 [00:0%d<00:03, 10.0it/s]' % (i * 100 // 30, i, i // 10))",
        '    sys.stderr.flush()',
        '    time.sleep(0.1)',
      ].join('\n'),
    );
    const ws = workspace();
    await start(ws, bars);
    const often = await runCli(ws, ['watch', '--progress-every', '300ms']);
    const oftenLines = often.stdout.split('\n').filter((l) => /\d+\/30/.test(l));
    expect(oftenLines.length).toBeGreaterThanOrEqual(2);
    const other = workspace();
    await start(other, bars);
    const rarely = await runCli(other, ['watch', '--progress-every', '1h']);
    expect(rarely.stdout.split('\n').filter((l) => /\d+\/30/.test(l) && l.startsWith('['))).toHaveLength(1);
  });
});

describe('a monitor killed while its job lives', () => {
  it("is reported at once, and the orphaned run ends at the job's last sign of life, not when looked at", async () => {
    const ws = workspace();
    const run = await start(ws, ['sh', '-c', 'echo started; exec sleep 60']);
    const lock = JSON.parse(readFileSync(join(ws, 'active.lock'), 'utf8')) as {
      job: { pid: number; monitorPid: number };
    };
    process.kill(lock.job.monitorPid, 'SIGKILL');
    await waitFor(() => !alive(lock.job.monitorPid), {
      timeoutMs: 10_000,
      description: 'the monitor to die',
    });
    const status = await runCli(ws, ['status']);
    expect(status.stdout).toContain('its exit code can no longer be recorded');
    const json = JSON.parse((await runCli(ws, ['status', '--json'])).stdout) as {
      run: { monitorLost: boolean };
    };
    expect(json.run.monitorLost).toBe(true);
    const killedAt = Date.now();
    process.kill(-lock.job.pid, 'SIGKILL');
    await waitFor(() => !alive(lock.job.pid), { timeoutMs: 10_000, description: 'the job to die' });
    await runCli(ws, ['status']);
    const record = JSON.parse((await runCli(ws, ['show', '--json', run.id])).stdout) as {
      outcome: string;
      endedAt: number;
      startedAt: number;
    };
    expect(record.outcome).toBe('orphaned');
    expect(record.endedAt).toBeLessThanOrEqual(killedAt);
    expect(record.endedAt).toBeGreaterThanOrEqual(record.startedAt);
  });
});

describe('a monitor killed while its job lives, watched', () => {
  it('watch says so at once and ends with the run orphaned', async () => {
    const ws = workspace();
    await start(ws, ['sh', '-c', 'echo started; exec sleep 60']);
    const lock = JSON.parse(readFileSync(join(ws, 'active.lock'), 'utf8')) as {
      job: { pid: number; monitorPid: number };
    };
    process.kill(lock.job.monitorPid, 'SIGKILL');
    await waitFor(() => !alive(lock.job.monitorPid), {
      timeoutMs: 10_000,
      description: 'the monitor to die',
    });
    const child = spawn(process.execPath, [binPath, 'watch'], {
      env: { ...process.env, NO_COLOR: '1', RUNWARDEN_WORKSPACE: ws },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid !== undefined) track(child.pid);
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    // watch says it while the job still lives, before anything ends.
    await waitFor(() => stdout.includes('its exit code can no longer be recorded'), {
      timeoutMs: 20_000,
      description: 'watch to report the lost monitor',
    });
    process.kill(-lock.job.pid, 'SIGKILL');
    expect(await closed).toBe(1);
    const watch = { stdout };
    const lines = watch.stdout.split('\n');
    const warned = lines.findIndex((l) => l.includes('its exit code can no longer be recorded'));
    const ended = lines.findIndex((l) => /run \S+ orphaned/.test(l));
    expect(warned).toBeGreaterThanOrEqual(0);
    expect(ended).toBeGreaterThan(warned);
  });
});

describe('status', () => {
  it('warns in one line naming the first bad events line, and takes events without t', async () => {
    const ws = workspace();
    const job = [
      'sh',
      '-c',
      `printf '%s\\n' '{"kind":"progress","step":5,"total":10}' '{"kind":"progress","t":"soon","step":6}' >> "$RUNWARDEN_EVENTS"; sleep 30`,
    ];
    await start(ws, job);
    const status = await waitFor(
      async () => {
        const result = await runCli(ws, ['status']);
        return result.stdout.includes('5/10') && result.stdout.includes('warning') ? result : null;
      },
      { timeoutMs: 15_000, intervalMs: 200, description: 'status to show the event and the warning' },
    );
    const warnings = status.stdout.split('\n').filter((l) => l.includes('warning'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/events\.ndjson line 2 was skipped: invalid event: progress: t must be/);
  });

  it('cuts a huge argv with a marker, and prints series only with --series', async () => {
    const ws = workspace();
    const big = 'x'.repeat(100_000);
    const job = python(
      "import time\nprint(\"{'loss': 0.5, 'epoch': 0.1}\")\nprint(\"{'loss': 0.25, 'epoch': 0.2}\")\ntime.sleep(30)",
    );
    await start(ws, [...job, big, big, big]);
    const status = await runCli(ws, ['status']);
    expect(status.stdout.length).toBeLessThan(10_000);
    expect(status.stdout).toMatch(/…\[\d+ more characters\]/);
    const read = async (args: string[]) =>
      JSON.parse((await runCli(ws, args)).stdout) as {
        run: {
          argvCut: boolean;
          argvChars: number;
          progress: { series?: unknown; metrics: Record<string, number> };
        };
      };
    const plain = await waitFor(
      async () => {
        const view = await read(['status', '--json']);
        return view.run.progress?.metrics.loss === 0.25 ? view : null;
      },
      { timeoutMs: 15_000, intervalMs: 200, description: 'the loss to show' },
    );
    expect(plain.run.argvCut).toBe(true);
    expect(plain.run.argvChars).toBeGreaterThan(300_000);
    expect(plain.run.progress).not.toHaveProperty('series');
    const withSeries = await read(['status', '--json', '--series']);
    // The job's series (the monitor's resource samples, sys/*, come along: issue 17).
    const series = withSeries.run.progress.series as { name: string }[];
    expect(series.filter((s) => !s.name.startsWith('sys/'))).toEqual([
      {
        name: 'loss',
        points: [
          [0.1, 0.5],
          [0.2, 0.25],
        ],
      },
    ]);
  });
});
