// Proves the dashboard's log panel shows a job's output as a terminal would (issue 16): a tqdm
// line rewritten with '\r' shows its last state, ANSI colours become styled text, no escape code
// is shown — in Chromium against a real `runwarden serve` and a real job. Skips without Chromium.
import { describe, expect, it } from 'vitest';
import { useBrowserSuite } from './browser.ts';
import { killJobs, tempWorkspace } from './helpers.ts';
import { freePort, startServe } from './serve-process.ts';

const suite = useBrowserSuite();

/** Prints a coloured line on stdout and a bar redrawn 400 times on stderr, then waits. */
const job = [
  'python3',
  '-c',
  [
    'import sys, time',
    "print('\\033[31mred alert\\033[0m plain', flush=True)",
    'for i in range(1, 401):',
    "    sys.stderr.write('\\rtrain: %3d%%|| %d/400 [00:01<00:00, 400it/s]' % (i // 4, i))",
    "sys.stderr.write('\\n'); sys.stderr.flush()",
    'time.sleep(60)',
  ].join('\n'),
];

describe.skipIf(suite.missing !== null)('the dashboard log panel', () => {
  it('shows the last state of a \\r-rewritten line and renders colours', { timeout: 180_000 }, async () => {
    const ws = tempWorkspace();
    const server = await startServe(ws, await freePort());
    suite.defer(async () => {
      await killJobs(ws);
      await server.stop('SIGKILL');
    });
    const context = await suite.browser().browser.newContext();
    suite.defer(() => context.close());
    const res = await fetch(`${server.url}api/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...server.auth },
      body: JSON.stringify({ argv: job, name: 'bars' }),
    });
    expect(res.status).toBe(201);
    const page = await context.newPage();
    const { id } = (await res.json()) as { id: string };
    await page.goto(`${server.url}runs/${id}${server.token === null ? '' : `#token=${server.token}`}`);
    await page.waitForSelector('#log:has-text("400/400")', { timeout: 60_000 });
    const text = (await page.textContent('#log')) ?? '';
    expect(text).not.toContain(' 41/400');
    expect(text).not.toContain(String.fromCharCode(27));
    expect(text).not.toContain('[31m');
    expect(await page.textContent('#log span.ansi-red-fg')).toBe('red alert');
  });
});
