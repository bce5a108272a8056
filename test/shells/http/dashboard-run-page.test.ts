// Proves the rebuilt Run page (issue 18) in Chromium against a real `runwarden serve` and a real
// training fixture (test/shells/http/fixtures/train-ml.mjs): the chart's axes and hover values
// match the run's events file; the metric picker, smoothing, log scale and time axis change what
// is drawn; sys/* metrics get their own panel; the log shows the '\r' bar's final state with ANSI
// colours, finds a line in the whole file and downloads a file equal to the raw log; the page is
// the same (read-only) once the run ended; no console errors, nothing leaves the origin, axe finds
// nothing serious. Skips, saying why, without Chromium. Screenshots: test-artifacts/dashboard/.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/wait-for.ts';
import { screenshot, useBrowserSuite } from './browser.ts';
import {
  eventsOf,
  loadedMs,
  mlArgv,
  seriousViolations,
  startRun,
  waitEnded,
  watchPage,
} from './dashboard-helpers.ts';
import { killJobs, tempWorkspace } from './helpers.ts';
import { freePort, startServe } from './serve-process.ts';

const suite = useBrowserSuite();

/** A chart panel's data attribute. */
const chartAttr = (page: Page, metric: string, name: string) =>
  page.getAttribute(`#charts figure[data-metric="${metric}"]`, `data-${name}`);

/** Move the mouse over the plot of `metric` at `fraction` of its width; returns the hover readout's data. */
async function hoverAt(page: Page, metric: string, fraction: number) {
  const over = page.locator(`figure[data-metric="${metric}"] .u-over`);
  const box = await over.boundingBox();
  if (box === null) throw new Error(`no plot for ${metric}`);
  await page.mouse.move(box.x + box.width * fraction, box.y + box.height / 2);
  const hover = page.locator(`figure[data-metric="${metric}"] output.hover`);
  await waitFor(async () => (await hover.getAttribute('data-x')) !== null, {
    timeoutMs: 10_000,
    description: `the hover readout of ${metric}`,
  });
  return {
    x: Number(await hover.getAttribute('data-x')),
    value: Number(await hover.getAttribute('data-value')),
    shown: Number(await hover.getAttribute('data-shown')),
    text: (await hover.textContent()) ?? '',
  };
}

describe.skipIf(suite.missing !== null)('the Run page in Chromium', () => {
  it('draws every metric with axes and hover values from the events file, and reads the logs', {
    timeout: 240_000,
  }, async () => {
    const ws = tempWorkspace();
    const server = await startServe(ws, await freePort());
    suite.defer(async () => {
      await killJobs(ws);
      await server.stop('SIGKILL');
    });
    const context = await suite
      .browser()
      .browser.newContext({ viewport: { width: 1280, height: 1000 }, acceptDownloads: true });
    suite.defer(() => context.close());
    const page = await context.newPage();
    const problems = watchPage(page, server.url.replace(/\/$/, ''));
    const steps = 300;
    const id = await startRun(server, { argv: mlArgv(steps, 20), name: 'train-ml', graceMs: 5_000 });
    await page.goto(
      `${server.dashboardUrl.replace(/#.*/, '')}runs/${id}${server.token ? `#token=${server.token}` : ''}`,
    );
    await page.waitForSelector('body[data-page="run"]', { timeout: loadedMs });
    // Live: the chart of loss appears while the run runs.
    await page.waitForSelector('#charts figure[data-metric="loss"][data-points]', { timeout: loadedMs });
    await screenshot(page, 'run-live');
    expect(await waitEnded(server, id)).toBe('finished');
    await page.waitForSelector('body[data-run-state="ended-finished"]', { timeout: loadedMs });

    // Axes against the events file: every point drawn, the ranges cover the data, the axes labelled.
    const loss = eventsOf(ws, id, 'loss');
    expect(loss.length).toBe(steps);
    await page.waitForSelector(`#charts figure[data-metric="loss"][data-points="${loss.length}"]`, {
      timeout: loadedMs,
    });
    const xMin = Number(await chartAttr(page, 'loss', 'x-min'));
    const xMax = Number(await chartAttr(page, 'loss', 'x-max'));
    const yMin = Number(await chartAttr(page, 'loss', 'y-min'));
    const yMax = Number(await chartAttr(page, 'loss', 'y-max'));
    const values = loss.map(([, v]) => v);
    expect(xMin).toBeLessThanOrEqual(1);
    expect(xMax).toBeGreaterThanOrEqual(steps);
    expect(yMin).toBeLessThanOrEqual(Math.min(...values));
    expect(yMax).toBeGreaterThanOrEqual(Math.max(...values));
    // uPlot draws axis labels on the canvas: the labels it was given are on the figure and its role=img.
    expect(await chartAttr(page, 'loss', 'x-label')).toBe('step');
    expect(await chartAttr(page, 'loss', 'y-label')).toBe('loss');
    expect(await page.getAttribute('#charts figure[data-metric="loss"] .uplot', 'aria-label')).toContain(
      'loss against step',
    );

    // Hover: the readout names a step and the value the events file has for it.
    for (const fraction of [0.2, 0.5, 0.9]) {
      const h = await hoverAt(page, 'loss', fraction);
      const event = loss.find(([step]) => step === h.x);
      expect(event, `step ${h.x} in the events file`).toBeDefined();
      expect(h.value).toBe(event?.[1]);
      expect(h.text).toContain(`step ${h.x}`);
    }

    // The picker: learning_rate and accuracy are there; checking shows a chart, unchecking hides one.
    const picker = await page.$$eval('#metric-picker input', (els) =>
      els.map((e) => e.getAttribute('value')),
    );
    expect(picker).toEqual(expect.arrayContaining(['loss', 'learning_rate', 'accuracy']));
    expect(picker).not.toContain('sys/cpu_percent');
    await page.uncheck('#metric-picker input[value="loss"]');
    await page.waitForSelector('#charts figure[data-metric="loss"]', { state: 'detached', timeout: 10_000 });
    await page.check('#metric-picker input[value="loss"]');
    await page.waitForSelector('#charts figure[data-metric="loss"][data-points]', { timeout: 10_000 });
    const lr = eventsOf(ws, id, 'learning_rate');
    expect(Number(await chartAttr(page, 'learning_rate', 'points'))).toBe(lr.length);

    // Smoothing: two curves (smoothed and raw); the hover's raw value stays the file's, the drawn one moves.
    await page.locator('#smoothing').fill('0.9');
    await page.waitForSelector('#charts figure[data-metric="loss"][data-series="2"]', { timeout: 10_000 });
    const smoothed = await hoverAt(page, 'loss', 0.6);
    expect(smoothed.value).toBe(loss.find(([s]) => s === smoothed.x)?.[1]);
    expect(smoothed.shown).not.toBe(smoothed.value);
    await page.locator('#smoothing').fill('0');
    await page.waitForSelector('#charts figure[data-metric="loss"][data-series="1"]', { timeout: 10_000 });

    // Log scale: a log y scale whose range stays positive.
    await page.check('#log-scale');
    await page.waitForSelector('#charts figure[data-metric="loss"][data-log="true"]', { timeout: 10_000 });
    expect(Number(await chartAttr(page, 'loss', 'y-min'))).toBeGreaterThan(0);
    await screenshot(page, 'run-log-scale');
    await page.uncheck('#log-scale');

    // Time on x: the range is the events' times (seconds).
    await page.selectOption('#x-mode', 'time');
    await page.waitForSelector('#charts figure[data-metric="loss"][data-x-mode="time"]', { timeout: 10_000 });
    const firstLoss = readFileSync(join(ws, id, 'events.ndjson'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { kind: string; name?: string; t: string })
      .find((e) => e.kind === 'metric' && e.name === 'loss');
    const firstT = Date.parse(firstLoss?.t ?? '') / 1000;
    expect(Number.isFinite(firstT)).toBe(true);
    expect(Math.abs(Number(await chartAttr(page, 'loss', 'x-min')) - firstT)).toBeLessThan(5);
    await page.selectOption('#x-mode', 'step');

    // sys/* metrics in their own panel.
    await page.waitForSelector('#sys-panel:not([hidden]) figure[data-metric="sys/cpu_percent"]', {
      timeout: 10_000,
    });

    // Checkpoint and card.
    expect(await page.textContent('#checkpoints')).toContain('ckpt/final.pt');
    expect(await page.textContent('#run-argv')).toContain('train-ml.mjs');

    // Logs: the bar's last state, colours rendered, no escape code shown.
    await page.waitForSelector(`#log:has-text("${steps}/${steps}")`, { timeout: loadedMs });
    const text = (await page.textContent('#log')) ?? '';
    expect(text).not.toContain(` 41/${steps} [`);
    expect(text).not.toContain(String.fromCharCode(27));
    expect(await page.textContent('#log span.ansi-red-fg')).toBe('warming up');
    await page.check('input[name="log-view"][value="stderr"]');
    await page.waitForFunction("!document.getElementById('log').textContent.includes('loss=')", null, {
      timeout: 10_000,
    });
    expect(((await page.textContent('#log')) ?? '').trim()).toBe(
      `train: 100%| ${steps}/${steps} [00:01<00:00]`,
    );
    await page.check('input[name="log-view"][value="merged"]');

    // Search through the whole file.
    await page.fill('#log-search', 'step 123/');
    await page.waitForSelector('#log[data-matches="1"]', { timeout: 10_000 });
    expect(await page.textContent('#log mark')).toBe('step 123/');
    expect(await page.textContent('#log')).toContain(`step 123/${steps} loss=`);
    await screenshot(page, 'run-log-search');
    await page.fill('#log-search', '');

    // Download: the raw file, byte for byte.
    const saveDir = mkdtempSync(join(tmpdir(), 'rw-download-'));
    for (const stream of ['stdout', 'stderr']) {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.click(`#download-${stream}`),
      ]);
      expect(download.suggestedFilename()).toBe(`${id}-${stream}.log`);
      const saved = join(saveDir, `${stream}.log`);
      await download.saveAs(saved);
      expect(readFileSync(saved).equals(readFileSync(join(ws, id, `${stream}.log`)))).toBe(true);
    }

    // Ended: read-only (no abort, force); run again is offered.
    expect(await page.isVisible('#abort')).toBe(false);
    expect(await page.isVisible('#force')).toBe(false);
    expect(await page.isVisible('#run-again')).toBe(true);
    await screenshot(page, 'run-ended');
    expect(await seriousViolations(page)).toEqual([]);
    expect(problems.list).toEqual([]);
  });

  it('loads earlier log lines on demand, follows a live run or holds still, and aborts with a dialog that says what is kept', {
    timeout: 240_000,
  }, async () => {
    const ws = tempWorkspace();
    const server = await startServe(ws, await freePort());
    suite.defer(async () => {
      await killJobs(ws);
      await server.stop('SIGKILL');
    });
    const context = await suite.browser().browser.newContext({ viewport: { width: 1280, height: 1000 } });
    suite.defer(() => context.close());
    const page = await context.newPage();
    const problems = watchPage(page, server.url.replace(/\/$/, ''));
    // 4,000 lines of ~30 bytes: more than the first 64 KiB chunk the page loads.
    const id = await startRun(server, {
      argv: mlArgv(100_000, 1),
      name: 'long',
      graceMs: 30_000,
      retention: { aborted: 'keep' },
    });
    await waitFor(async () => readFileSync(join(ws, id, 'stdout.log')).length > 200_000, {
      timeoutMs: loadedMs,
      intervalMs: 200,
      description: 'the log to pass 200 kB',
    });
    await page.goto(`${server.url}runs/${id}${server.token ? `#token=${server.token}` : ''}`);
    await page.waitForSelector('body[data-run-state="running"]', { timeout: loadedMs });
    await page.waitForSelector('#log:has-text("loss=")', { timeout: loadedMs });
    expect(await page.textContent('#log')).not.toContain('step 1/100000 ');
    expect(await page.isEnabled('#log-earlier')).toBe(true);
    // Follow: later lines arrive without a reload.
    const lastStep = async () => {
      const m = [...((await page.textContent('#log')) ?? '').matchAll(/step (\d+)\//g)].at(-1);
      return m ? Number(m[1]) : 0;
    };
    const before = await lastStep();
    await waitFor(async () => (await lastStep()) > before + 50, {
      timeoutMs: loadedMs,
      intervalMs: 200,
      description: 'the log to follow the run',
    });
    // Unfollow holds the view; load earlier until the first line shows.
    await page.uncheck('#log-follow');
    const held = await lastStep();
    await waitFor(
      async () => {
        if ((await page.textContent('#log'))?.includes('step 1/100000 ')) return true;
        await page.click('#log-earlier');
        return false;
      },
      { timeoutMs: loadedMs, intervalMs: 300, description: 'load earlier to reach the first line' },
    );
    expect(await page.textContent('#log span.ansi-red-fg')).toBe('warming up');
    expect(await lastStep()).toBe(held);
    // Follow again: the newest lines come back.
    await page.check('#log-follow');
    await waitFor(async () => (await lastStep()) > held, {
      timeoutMs: loadedMs,
      intervalMs: 200,
      description: 'the log to follow again',
    });

    // The abort: a dialog that says what happens and what is kept; then the countdown, then Force.
    expect(await page.isVisible('#checkpoint')).toBe(false);
    await page.click('#abort');
    await page.waitForSelector('#abort-dialog[open]');
    const what = (await page.textContent('#abort-what')) ?? '';
    expect(what).toMatch(/SIGINT.*SIGKILL/);
    expect(what).toContain('is kept');
    await page.click('#confirm-abort');
    // The fixture exits on SIGINT at once; if the machine shows aborting first, Force is offered.
    await page.waitForSelector('body[data-run-state="ended-aborted"]', { timeout: loadedMs });
    expect(await page.textContent('#state')).toContain('ended: aborted');
    expect(problems.list).toEqual([]);
  });

  it('shows the SIGKILL countdown of an abort the job ignores, and Force ends it', {
    timeout: 180_000,
  }, async () => {
    const ws = tempWorkspace();
    const server = await startServe(ws, await freePort());
    suite.defer(async () => {
      await killJobs(ws);
      await server.stop('SIGKILL');
    });
    const context = await suite.browser().browser.newContext({ viewport: { width: 1280, height: 900 } });
    suite.defer(() => context.close());
    const page = await context.newPage();
    const problems = watchPage(page, server.url.replace(/\/$/, ''));
    // A job that ignores SIGINT: only SIGKILL ends it.
    const id = await startRun(server, {
      argv: [
        process.execPath,
        '-e',
        "process.on('SIGINT', () => console.log('ignoring SIGINT')); setInterval(() => {}, 1000)",
      ],
      name: 'stubborn',
      graceMs: 120_000,
    });
    await page.goto(`${server.url}runs/${id}${server.token ? `#token=${server.token}` : ''}`);
    await page.waitForSelector('body[data-run-state="running"]', { timeout: loadedMs });
    expect(await page.isVisible('#force')).toBe(false);
    await page.click('#abort');
    await page.click('#confirm-abort');
    await page.waitForSelector('body[data-run-state="aborting"]', { timeout: loadedMs });
    await page.waitForSelector('#force:not([hidden])', { timeout: loadedMs });
    expect(await page.isVisible('#abort')).toBe(false);
    // The countdown counts down.
    const left = async () => {
      const m = /SIGKILL in (\d+)m(\d+)s/.exec((await page.textContent('#abort-info')) ?? '');
      return m ? Number(m[1]) * 60 + Number(m[2]) : null;
    };
    const first = await waitFor(left, { timeoutMs: loadedMs, description: 'the countdown' });
    expect(first).toBeLessThanOrEqual(120);
    await waitFor(async () => ((await left()) ?? first) < first, {
      timeoutMs: loadedMs,
      intervalMs: 250,
      description: 'the countdown to go down',
    });
    await screenshot(page, 'run-aborting');
    await page.click('#force');
    await page.waitForSelector('body[data-run-state="ended-aborted"]', { timeout: loadedMs });
    const run = (await (await fetch(`${server.url}api/runs/${id}`, { headers: server.auth })).json()) as {
      record: { outcome: string; signal: string | null };
    };
    expect(run.record.outcome).toBe('aborted');
    expect(run.record.signal).toBe('SIGKILL');
    expect(problems.list).toEqual([]);
  });
});
