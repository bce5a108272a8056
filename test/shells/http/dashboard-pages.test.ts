// Proves the rebuilt dashboard's pages (issue 18) in Chromium against a real `runwarden serve` and
// real runs of the ML fixture: the Runs table filters, sorts and shows short ids with the full one
// on hover; three runs selected open Compare, whose overlaid chart and table match the runs'
// events files; the start form sets the working directory and environment and says what an abort
// keeps; every page in dark mode (emulated) at 390 px has no horizontal scroll, keeps the header
// and the run's actions in reach, and has no serious axe violation; no console errors, nothing
// leaves the origin. Skips, saying why, without Chromium. Screenshots: test-artifacts/dashboard/.
import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/wait-for.ts';
import { screenshot, useBrowserSuite } from './browser.ts';
import {
  eventsOf,
  getJson,
  loadedMs,
  mlArgv,
  scrollsSideways,
  seriousViolations,
  startRun,
  waitEnded,
  watchPage,
} from './dashboard-helpers.ts';
import { killJobs, tempWorkspace } from './helpers.ts';
import { freePort, type ServeProcess, startServe } from './serve-process.ts';

const suite = useBrowserSuite();

/** A served workspace, killed (jobs and server) after the test. */
async function served(): Promise<{ ws: string; server: ServeProcess }> {
  const ws = tempWorkspace();
  const server = await startServe(ws, await freePort());
  suite.defer(async () => {
    await killJobs(ws);
    await server.stop('SIGKILL');
  });
  return { ws, server };
}

/** `path` on the server with the token fragment (the page logs itself in). */
const at = (server: ServeProcess, path: string) =>
  `${server.url}${path}${server.token === null ? '' : `#token=${server.token}`}`;

/** Rows of the Runs table, by run id. */
const rowIds = (page: Page) =>
  page.$$eval('#runs-table tbody tr', (rows) => rows.map((r) => r.getAttribute('data-run-id')));

/** Start the ML fixture and wait until it is recorded finished. */
async function finishedRun(server: ServeProcess, name: string, seed: number): Promise<string> {
  const id = await startRun(server, { argv: mlArgv(60, 5, seed), name, graceMs: 5_000 });
  expect(await waitEnded(server, id)).toBe('finished');
  return id;
}

describe.skipIf(suite.missing !== null)('the dashboard pages in Chromium', () => {
  it('filters and sorts the Runs table, then compares three runs', { timeout: 240_000 }, async () => {
    const { ws, server } = await served();
    const ids = [
      await finishedRun(server, 'lr-a', 1),
      await finishedRun(server, 'lr-b', 2),
      await finishedRun(server, 'lr-c', 3),
    ];
    const context = await suite.browser().browser.newContext({ viewport: { width: 1280, height: 900 } });
    suite.defer(() => context.close());
    const page = await context.newPage();
    const problems = watchPage(page, server.url.replace(/\/$/, ''));
    await page.goto(at(server, ''));
    await page.waitForSelector('body[data-page="runs"][data-state="idle"]', { timeout: loadedMs });
    await waitFor(async () => (await rowIds(page)).length === 3, {
      timeoutMs: loadedMs,
      description: 'three rows',
    });
    // Newest first; short ids with the full one on hover.
    expect(await rowIds(page)).toEqual([...ids].reverse());
    for (const id of ids) {
      const link = page.locator(`#runs-table tr[data-run-id="${id}"] a[data-run-id]`);
      expect(await link.getAttribute('title')).toBe(id);
      expect(((await link.textContent()) ?? '').length).toBeLessThanOrEqual(14);
    }
    // Filter by text, by outcome; sort by the Run column.
    await page.fill('#filter-text', 'lr-b');
    await waitFor(async () => (await rowIds(page)).join() === ids[1], {
      timeoutMs: 10_000,
      description: 'the text filter',
    });
    await page.fill('#filter-text', '');
    await page.selectOption('#filter-outcome', 'failed');
    await waitFor(async () => (await rowIds(page)).length === 0, {
      timeoutMs: 10_000,
      description: 'the outcome filter',
    });
    expect(await page.isVisible('#runs-empty')).toBe(true);
    await page.selectOption('#filter-outcome', '');
    await page.click('#runs-table th[data-sort="id"] button');
    await waitFor(async () => (await rowIds(page)).join() === [...ids].sort().join(), {
      timeoutMs: 10_000,
      description: 'sorted by id',
    });
    expect(await page.getAttribute('#runs-table th[data-sort="id"]', 'aria-sort')).toBe('ascending');
    await screenshot(page, 'runs-table');
    expect(await seriousViolations(page)).toEqual([]);

    // Select the three: Compare opens with them.
    expect(await page.isDisabled('#compare-selected')).toBe(true);
    for (const id of ids) await page.check(`#runs-table tr[data-run-id="${id}"] input[type="checkbox"]`);
    expect(await page.textContent('#compare-selected')).toBe('Compare 3 runs');
    await page.click('#compare-selected');
    await page.waitForURL(/\/compare\?ids=/, { timeout: loadedMs });
    await page.waitForSelector('body[data-page="compare"][data-compared="3"]', { timeout: loadedMs });
    await page.waitForSelector('#compare-chart figure[data-series="3"][data-points]', { timeout: loadedMs });
    expect(await page.inputValue('#compare-metric')).toBe('loss');
    // One curve per run, over the steps all of them have.
    expect(Number(await page.getAttribute('#compare-chart figure', 'data-points'))).toBe(60);
    const heads = await page.$$eval('#compare-table thead th', (ths) => ths.map((t) => t.textContent ?? ''));
    expect(heads).toHaveLength(4);
    const row = async (label: string) =>
      page.$$eval(
        `#compare-table tbody tr`,
        (trs, l) => {
          const tr = trs.find((t) => t.querySelector('th')?.textContent === l);
          return tr ? [...tr.querySelectorAll('td')].map((td) => td.textContent) : null;
        },
        label,
      );
    expect(await row('outcome')).toEqual(['finished', 'finished', 'finished']);
    const finals = ids.map((id) => {
      const loss = eventsOf(ws, id, 'loss');
      return String(Number((loss.at(-1)?.[1] ?? Number.NaN).toPrecision(4)));
    });
    expect(await row('final loss')).toEqual(finals);
    // Hover names the three runs' values at one step, as their events files have them.
    const over = page.locator('#compare-chart .u-over');
    const box = await over.boundingBox();
    if (box === null) throw new Error('no compare plot');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const hover = page.locator('#compare-chart output.hover');
    await waitFor(async () => (await hover.getAttribute('data-x')) !== null, {
      timeoutMs: 10_000,
      description: 'hover',
    });
    const step = Number(await hover.getAttribute('data-x'));
    expect(Number(await hover.getAttribute('data-value'))).toBe(
      eventsOf(ws, ids[0] ?? '', 'loss').find(([s]) => s === step)?.[1],
    );
    await page.check('#compare-log');
    await page.waitForSelector('#compare-chart figure[data-log="true"]', { timeout: 10_000 });
    await screenshot(page, 'compare');
    expect(await seriousViolations(page)).toEqual([]);
    expect(problems.list).toEqual([]);
  });

  it('starts a run with a working directory and environment, saying what an abort keeps', async () => {
    const { server } = await served();
    const context = await suite.browser().browser.newContext({ viewport: { width: 1280, height: 900 } });
    suite.defer(() => context.close());
    const page = await context.newPage();
    const problems = watchPage(page, server.url.replace(/\/$/, ''));
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'rw-cwd-')));
    await page.goto(at(server, ''));
    await page.waitForSelector('body[data-state="idle"]', { timeout: loadedMs });
    await page.click('#start-panel summary');
    expect(await page.textContent('#abort-keeps')).toContain('is kept after an abort');
    await page.uncheck('#keep-aborted');
    expect(await page.textContent('#abort-keeps')).toContain('deleted after an abort');
    await page.check('#keep-aborted');
    await page.fill(
      '#argv',
      [
        process.execPath,
        '-e',
        'console.log("cwd=" + process.cwd() + " var=" + process.env.RW_DASH_VAR)',
      ].join('\n'),
    );
    await page.fill('#name', 'where');
    await page.fill('#cwd', dir);
    await page.fill('#env', 'RW_DASH_VAR=hello there');
    await screenshot(page, 'start-form');
    expect(await seriousViolations(page)).toEqual([]);
    await page.click('#start');
    await page.waitForURL(/\/runs\/where-/, { timeout: loadedMs });
    const id = decodeURIComponent(new URL(page.url()).pathname.split('/').at(-1) ?? '');
    await page.waitForSelector('body[data-run-state="ended-finished"]', { timeout: loadedMs });
    await page.waitForSelector(`#log:has-text("cwd=${dir} var=hello there")`, { timeout: loadedMs });
    expect(await page.textContent('#run-cwd')).toBe(dir);
    const run = await getJson<{
      record: { config: { cwd: string; env: Record<string, string>; retention: { aborted: string } } };
    }>(server, `api/runs/${id}`);
    expect(run.record.config.cwd).toBe(dir);
    expect(run.record.config.env.RW_DASH_VAR).toBe('hello there');
    expect(run.record.config.retention.aborted).toBe('keep');
    expect(problems.list).toEqual([]);
  });

  it('is dark under a dark system theme and fits 390 px on every page, actions in reach', {
    timeout: 240_000,
  }, async () => {
    const { server } = await served();
    const ended = [await finishedRun(server, 'small-a', 4), await finishedRun(server, 'small-b', 5)];
    const live = await startRun(server, { argv: mlArgv(100_000, 20), name: 'live', graceMs: 5_000 });
    const context = await suite.browser().browser.newContext({
      viewport: { width: 390, height: 844 },
      colorScheme: 'dark',
      isMobile: true,
      hasTouch: true,
    });
    suite.defer(() => context.close());
    const page = await context.newPage();
    const problems = watchPage(page, server.url.replace(/\/$/, ''));
    const pages: [string, string, string][] = [
      ['runs', '', '#runs-table tbody tr'],
      ['run', `runs/${live}`, '#charts figure[data-metric="loss"][data-points]'],
      ['run-ended', `runs/${ended[0]}`, '#charts figure[data-metric="loss"][data-points]'],
      ['compare', `compare?ids=${ended.join(',')}`, '#compare-chart figure[data-points]'],
      ['debug', 'debug', '#chart[data-drawn="mermaid"]'],
      ['queue', 'queue', '#page-queue:not([hidden])'],
    ];
    await page.goto(at(server, ''));
    await page.waitForSelector('body[data-page="runs"]', { timeout: loadedMs });
    for (const [name, path, ready] of pages) {
      await page.goto(`${server.url}${path}`);
      await page.waitForSelector(ready, { timeout: loadedMs });
      // The system's dark theme: a dark page, light text.
      const colours = await page.evaluate<[string, string]>(
        '[getComputedStyle(document.documentElement).backgroundColor, getComputedStyle(document.body).color]',
      );
      expect(colours, name).toEqual(['rgb(13, 17, 23)', 'rgb(230, 237, 243)']);
      expect(await scrollsSideways(page), `${name} scrolls sideways at 390 px`).toBe(false);
      // The header (navigation, state) is on screen.
      const nav = await page.locator('header nav').boundingBox();
      expect(
        nav !== null && nav.x >= 0 && nav.x + nav.width <= 390 && nav.y < 200,
        `${name}: header in reach`,
      ).toBe(true);
      if (name === 'run') {
        await page.waitForSelector('#abort:not([hidden])', { timeout: loadedMs });
        const abort = await page.locator('#abort').boundingBox();
        expect(
          abort !== null && abort.x + abort.width <= 390 && abort.y + abort.height <= 844,
          'abort in reach',
        ).toBe(true);
      }
      await screenshot(page, `${name}-dark-390`);
      expect(await seriousViolations(page), name).toEqual([]);
    }
    expect(problems.list).toEqual([]);
  });
});
