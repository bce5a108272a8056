// Proves the state view in a real browser (Debian's Chromium via playwright-core) against a real
// `runwarden serve` and a real job, on the Debug page (issue 18): the statechart is drawn in the
// page at a readable size with the live state highlighted, and after the run is aborted its replay
// steps through the journal by buttons and keyboard down to idle, in words with relative times and
// the raw JSON folded. Skips, saying why, without Chromium.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/wait-for.ts';
import { screenshot, useBrowserSuite } from './browser.ts';
import { killJobs, tempWorkspace, trainArgv } from './helpers.ts';
import { freePort, type ServeProcess, startServe } from './serve-process.ts';

const suite = useBrowserSuite();
const missing = suite.missing;

/** POST to the API as another client would; returns the parsed body. */
async function post(server: ServeProcess, path: string, body: unknown, status: number): Promise<unknown> {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...server.auth },
    body: JSON.stringify(body),
  });
  if (res.status !== status) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** The chart element Mermaid drew for state node `id` (e.g. `runwarden.idle`). */
const node = (id: string) => `#chart[data-drawn="mermaid"] [data-state-id="${id}"]`;

/** The replay's transition text, once it differs from `before` (bounded polling). */
function transitionAfter(page: Page, before: string): Promise<string> {
  return waitFor(
    async () => {
      const text = (await page.textContent('#replay-transition')) ?? '';
      return text !== before ? text : null;
    },
    { timeoutMs: 5_000, description: 'the replay to move' },
  );
}

describe.skipIf(missing !== null)('the state view in Chromium', () => {
  it('highlights the live state, then replays the aborted run step by step down to idle', async () => {
    const ws = tempWorkspace();
    const server = await startServe(ws, await freePort());
    suite.defer(async () => {
      await killJobs(ws);
      await server.stop('SIGKILL');
    });
    const context = await suite.browser().browser.newContext({ viewport: { width: 1280, height: 1000 } });
    suite.defer(() => context.close());
    const page = await context.newPage();
    const failed: string[] = [];
    // A navigation of this page cuts its shared worker's load short (ERR_ABORTED): not a failure.
    page.on('requestfailed', (r) => {
      if (r.failure()?.errorText !== 'net::ERR_ABORTED') failed.push(r.url());
    });
    page.on('request', (r) => {
      if (!r.url().startsWith(server.url)) failed.push(`off-origin: ${r.url()}`);
    });

    const run = (await post(
      server,
      'api/runs',
      {
        argv: trainArgv(2_000, 50),
        name: 'train',
        graceMs: 5_000,
        // aborted runs are deleted by default, and the journal lives in the run directory
        retention: { aborted: 'keep' },
      },
      201,
    )) as {
      id: string;
    };
    await page.goto(`${server.url}debug${server.token === null ? '' : `#token=${server.token}`}`);
    await page.waitForSelector(`${node('runwarden.live.running.healthy')}.rw-current`, { timeout: 20_000 });
    expect(await page.getAttribute(node('runwarden.live.running.healthy'), 'id')).toContain(
      'runwarden_live_running_healthy',
    );
    expect(await page.getAttribute(node('runwarden.live.running'), 'class')).toContain('rw-current-parent');
    expect(await page.$$eval('#chart .rw-current', (els) => els.length)).toBe(1);
    expect(await page.textContent('#chart-state')).toBe('live.running.healthy');
    await screenshot(page, 'state-live');

    await post(server, 'api/abort', { runId: run.id, force: true }, 202);
    await page.waitForSelector(`${node('runwarden.idle')}.rw-current`, { timeout: 20_000 });
    // Readable: the chart is drawn at its own size (labels at the page's font), not shrunk to fit.
    expect(await page.getAttribute('#chart', 'data-scale')).toBe('1.00');
    const labelPx = await page.$eval(`${node('runwarden.idle')}`, (el) => el.getBoundingClientRect().height);
    expect(labelPx).toBeGreaterThan(20);
    await page.goto(`${server.url}debug?run=${run.id}`);
    await page.waitForSelector('#replay:not([hidden])', { timeout: 20_000 });
    expect(await page.textContent('#chart-mode')).toBe(`replay of ${run.id}`);
    expect(await page.isDisabled('#replay-prev')).toBe(true);
    const first = (await page.textContent('#replay-transition')) ?? '';
    expect(first).toMatch(/^\S+ --run\.start.*--> starting/);
    // In words, with the time relative to the run's first step; the raw JSON folded.
    expect(await page.textContent('#replay-human')).toMatch(/^\+0\.0s: start requested/);
    expect(await page.isVisible('#replay-json')).toBe(false);
    await page.click('#replay-raw summary');
    expect(JSON.parse((await page.textContent('#replay-json')) ?? '{}').event).toBe('run.start');
    expect(await page.$$eval('#replay-list li', (els) => els.length)).toBeGreaterThan(3);

    // Step with the Next button until the job runs: the highlight follows the step.
    let text = first;
    for (let i = 0; i < 20 && !text.endsWith('--> live.running.healthy'); i++) {
      await page.click('#replay-next');
      text = await transitionAfter(page, text);
    }
    expect(text).toMatch(/--> live\.running\.healthy$/);
    await page.waitForSelector(`${node('runwarden.live.running.healthy')}.rw-current`);
    expect(await page.textContent('#replay-pid')).toMatch(/^\d+$/);
    await screenshot(page, 'state-replay-running');

    // The slider by keyboard: End goes to the last step, which is idle; Next is then disabled.
    await page.focus('#replay-slider');
    await page.keyboard.press('End');
    text = await transitionAfter(page, text);
    expect(text).toMatch(/--> idle$/);
    await page.waitForSelector(`${node('runwarden.idle')}.rw-current`);
    expect(await page.isDisabled('#replay-next')).toBe(true);
    const position = (await page.textContent('#replay-pos')) ?? '';
    expect(position).toMatch(/^(\d+) \/ \1$/);
    await page.click('#replay-prev');
    text = await transitionAfter(page, text);
    expect(text).not.toMatch(/--> idle$/);
    expect(await page.getAttribute('#replay-slider', 'aria-valuetext')).toContain(text);
    await screenshot(page, 'state-replay-end');

    // A bookmark of the ended run's replay opens it by itself.
    const bookmark = await context.newPage();
    await bookmark.goto(`${server.url}debug?run=${run.id}`);
    await bookmark.waitForSelector('#replay:not([hidden])', { timeout: 10_000 });
    expect(await bookmark.textContent('#replay-run')).toBe(run.id);
    expect(failed).toEqual([]);
  });
});
