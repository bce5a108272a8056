// Proves `runwarden top` (issue 17) in a real pseudo-terminal (a tmux session: it can type keys,
// resize the window and read the screen): it shows two live runs of a two-slot workspace, follows
// one's log, aborts the other after asking, survives SIGWINCH resizes and exits 0 on q — and
// refuses to run without a terminal (exit 2). Every run it starts is ended by PID afterwards.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/wait-for.ts';
import { binPath, repoRoot, runCli, useWorkspaces } from './run-cli.ts';

const workspaces = useWorkspaces();
const sessions: string[] = [];

afterEach(() => {
  for (const name of sessions.splice(0)) spawnSync('tmux', ['kill-session', '-t', name]);
});

const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
const screenOf = (name: string) => tmux('capture-pane', '-p', '-t', name);

// Wait (bounded) until the screen shows `needle`.
function untilScreen(name: string, needle: string | RegExp, timeoutMs = 30_000): Promise<string> {
  return waitFor(
    () => {
      const screen = screenOf(name);
      return (typeof needle === 'string' ? screen.includes(needle) : needle.test(screen)) ? screen : null;
    },
    { timeoutMs, description: `the top screen to show ${String(needle)}` },
  );
}

// A job printing a numbered line every 50 ms (for minutes unless ended).
const printer = [
  'python3',
  '-c',
  "import time\nfor i in range(100000):\n    print('tick %d' % i, flush=True)\n    time.sleep(0.05)\n",
];

describe('runwarden top', () => {
  it('shows two live runs, follows one, aborts the other after y, survives resizes, quits on q', async () => {
    const ws = workspaces.workspace();
    mkdirSync(ws, { recursive: true });
    const slot = (index: number) => ({ name: `slot${index}`, index, env: {}, gpu: null });
    writeFileSync(join(ws, 'workspace.json'), JSON.stringify({ slots: [slot(0), slot(1)] }));
    const ids: string[] = [];
    for (const name of ['alpha', 'beta']) {
      const started = await runCli(ws, ['start', '--json', '--name', name, '--', ...printer]);
      expect(started.code, started.stderr).toBe(0);
      const { id, pid } = JSON.parse(started.stdout) as { id: string; pid: number };
      ids.push(id);
      workspaces.track(pid);
    }
    const [alpha = '', beta = ''] = ids;
    const session = `rw-top-${process.pid}-${Date.now()}`;
    sessions.push(session);
    const command = `cd '${repoRoot}' && RUNWARDEN_WORKSPACE='${ws}' NO_COLOR=1 '${process.execPath}' '${binPath}' top; echo "top exited $?"; sleep 600`;
    tmux('new-session', '-d', '-s', session, '-x', '160', '-y', '30', command);

    const list = await untilScreen(session, beta);
    expect(list).toContain(alpha);
    expect(list).toMatch(/2 active/);

    // Follow alpha (the first row): its log's newest lines show.
    tmux('send-keys', '-t', session, 'Enter');
    await untilScreen(session, `log of ${alpha}`);
    await untilScreen(session, /tick \d+/);

    // Back to the list. A resize (SIGWINCH to top): the header is drawn anew, cut at 90 columns,
    // then whole again at 160.
    tmux('send-keys', '-t', session, 'Escape');
    await untilScreen(session, 'RUN ');
    tmux('resize-window', '-t', session, '-x', '90', '-y', '20');
    await waitFor(() => /^runwarden top .{75}…$/.test(screenOf(session).split('\n')[0] ?? '') || null, {
      timeoutMs: 20_000,
      description: 'the header cut at 90 columns',
    });
    tmux('resize-window', '-t', session, '-x', '160', '-y', '30');
    await untilScreen(session, 'q quit');

    // Down to beta, abort it: asked first, then done.
    tmux('send-keys', '-t', session, 'Down');
    await untilScreen(session, new RegExp(`▶ ${beta}`));
    tmux('send-keys', '-t', session, 'a');
    await untilScreen(session, `abort ${beta}?`);
    tmux('send-keys', '-t', session, 'y');
    const after = await untilScreen(session, new RegExp(`${beta}\\s+aborted`));
    expect(after).toMatch(/1 active/);
    expect(after).toContain(alpha);

    // c asks the selected run for a checkpoint (issue 14): the request lands in its control file.
    tmux('send-keys', '-t', session, 'c');
    await untilScreen(session, /checkpoint of \S+ asked \(request 1\)/);

    tmux('send-keys', '-t', session, 'q');
    await untilScreen(session, 'top exited 0');
    // alpha still runs: top only watched it.
    const status = await runCli(ws, ['status', '--json']);
    expect(status.stdout).toContain(alpha);
  }, 120_000);

  it('refuses to run without a terminal: one line, exit 2', async () => {
    const ws = workspaces.workspace();
    const result = await runCli(ws, ['top']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('needs a terminal');
  });
});
