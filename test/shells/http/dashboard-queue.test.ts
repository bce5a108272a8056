// The dashboard's Queue and slots page (issues 12 and 18) in Chromium against a real `runwarden
// serve` on a workspace of 2 plain slots (configureSlots through the library API): two long jobs
// hold the slots, two more wait (one held). The page shows each slot with its run and the queue in
// start order with why each waits; raising the held entry's priority and releasing it from the page
// change the real queue; when another client aborts a running run the page follows the stream
// (the released run takes the slot); the Runs page lists the active, queued and ended runs. No console errors,
// nothing leaves the origin, no serious axe violation. Every process the server starts inherits a
// tag; the test ends them all by PID and checks none is left. Skips, saying why, without Chromium.
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { openWorkspace } from '../../../shells/api/workspace.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { killPids, taggedPids, tagVar } from '../cli/queue-helpers.ts';
import { screenshot, useBrowserSuite } from './browser.ts';
import { getJson, loadedMs, seriousViolations, startRun, watchPage } from './dashboard-helpers.ts';
import { killJobs, tempWorkspace } from './helpers.ts';
import { freePort, type ServeProcess, startServe } from './serve-process.ts';

const suite = useBrowserSuite();
const tag = randomBytes(6).toString('hex');

interface QueueJson {
  entries: { runId: string; position: number; priority: number; held: boolean; waitingFor: string[] }[];
}

/** A served workspace of 2 slots; after the test the server, then every tagged process, ends by PID. */
async function served(): Promise<{ ws: string; server: ServeProcess }> {
  const ws = tempWorkspace();
  await openWorkspace(ws).configureSlots({ count: 2 });
  process.env[tagVar] = tag;
  const server = await startServe(ws, await freePort());
  suite.defer(async () => {
    await server.stop('SIGKILL');
    await killJobs(ws);
    for (let round = 0; round < 5 && taggedPids(tag).length > 0; round++) await killPids(taggedPids(tag));
    expect(taggedPids(tag)).toEqual([]);
  });
  return { ws, server };
}

const at = (server: ServeProcess, path: string) =>
  `${server.url}${path}${server.token === null ? '' : `#token=${server.token}`}`;

/** The queue table's rows as [run id, position, priority, waiting for]. */
const queueRows = (page: Page) =>
  page.$$eval('#queue-table tbody tr', (rows) =>
    rows.map((r) => {
      const cells = [...r.querySelectorAll('td')].map((td) => td.textContent ?? '');
      return [
        r.querySelector('[data-run-id]')?.getAttribute('data-run-id') ?? '',
        cells[0],
        cells[2],
        cells[3],
      ];
    }),
  );

/** The slots table's rows as [slot name, run id or the cell's text]. */
const slotRows = (page: Page) =>
  page.$$eval('#slots-table tbody tr', (rows) =>
    rows.map((r) => {
      const cells = [...r.querySelectorAll('td')];
      return [
        cells[0]?.textContent ?? '',
        r.querySelector('[data-run-id]')?.getAttribute('data-run-id') ?? cells[2]?.textContent ?? '',
      ];
    }),
  );

describe.skipIf(suite.missing !== null)('the Queue and slots page in Chromium', () => {
  it('shows the slots and the queue, moves and releases from the page', { timeout: 240_000 }, async () => {
    const { server } = await served();
    const running = [
      await startRun(server, { argv: ['sleep', '600'], name: 'long-a', queue: true }),
      await startRun(server, { argv: ['sleep', '600'], name: 'long-b', queue: true }),
    ];
    const waiting = await startRun(server, { argv: ['sleep', '600'], name: 'next', queue: true });
    const held = await startRun(server, { argv: ['sleep', '600'], name: 'later', queue: true, hold: true });
    await waitFor(
      async () => (await getJson<{ runs: { id: string }[] }>(server, 'api/status')).runs.length === 2,
      { timeoutMs: loadedMs, intervalMs: 200, description: 'two runs active' },
    );

    const context = await suite.browser().browser.newContext({ viewport: { width: 1280, height: 900 } });
    suite.defer(() => context.close());
    const page = await context.newPage();
    const problems = watchPage(page, server.url.replace(/\/$/, ''));
    await page.goto(at(server, 'queue'));
    await page.waitForSelector('body[data-page="queue"]', { timeout: loadedMs });
    await page.waitForSelector('#queue-body:not([hidden])', { timeout: loadedMs });

    // Each slot shows the run that holds it.
    await waitFor(async () => (await slotRows(page)).filter(([, run]) => run !== 'free').length === 2, {
      timeoutMs: loadedMs,
      description: 'both slots held on the page',
    });
    const slots = await slotRows(page);
    expect(slots.map(([, run]) => run).sort()).toEqual([...running].sort());

    // The queue in start order, each with why it waits.
    await waitFor(async () => (await queueRows(page)).length === 2, {
      timeoutMs: loadedMs,
      description: 'two queued',
    });
    let rows = await queueRows(page);
    expect(rows.map((r) => r[0])).toEqual([waiting, held]);
    expect(rows.map((r) => r[1])).toEqual(['1', '2']);
    expect(rows[0]?.[3]).not.toBe('');
    expect(rows[0]?.[3]).not.toMatch(/held/);
    expect(rows[1]?.[3]).toMatch(/held/);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'queue-before');

    // ▲ on the held entry: its priority goes up and it comes first, in the page and the queue.
    const heldRow = page.locator('#queue-table tbody tr', { has: page.locator(`[data-run-id="${held}"]`) });
    await heldRow.getByRole('button', { name: 'raise the priority of later' }).click();
    await waitFor(async () => (await queueRows(page))[0]?.[0] === held, {
      timeoutMs: loadedMs,
      description: 'the held entry first after ▲',
    });
    rows = await queueRows(page);
    expect(rows.map((r) => [r[0], r[1], r[2]])).toEqual([
      [held, '1', '1'],
      [waiting, '2', '0'],
    ]);
    let queue = await getJson<QueueJson>(server, 'api/queue');
    expect(queue.entries.map((e) => [e.runId, e.priority, e.held])).toEqual([
      [held, 1, true],
      [waiting, 0, false],
    ]);

    // release: it is no longer held (both still wait for a slot).
    await heldRow.getByRole('button', { name: 'release later' }).click();
    await waitFor(async () => !/held/.test((await queueRows(page))[0]?.[3] ?? 'held'), {
      timeoutMs: loadedMs,
      description: 'the entry released on the page',
    });
    await heldRow.getByRole('button', { name: 'hold later' }).waitFor({ timeout: loadedMs });
    queue = await getJson<QueueJson>(server, 'api/queue');
    expect(queue.entries.map((e) => [e.runId, e.held])).toEqual([
      [held, false],
      [waiting, false],
    ]);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'queue-after');

    // Another client aborts a running run: the freed slot goes to the first entry, and the page
    // follows from the stream alone (no reload): that run in the slot, one entry left.
    const aborted = running[0] ?? '';
    const res = await fetch(`${server.url}api/runs/${aborted}/abort`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...server.auth },
      body: JSON.stringify({ force: true }),
    });
    expect(res.status, await res.text()).toBe(202);
    await waitFor(async () => (await slotRows(page)).some(([, run]) => run === held), {
      timeoutMs: loadedMs,
      description: 'the released run in a slot on the page',
    });
    await waitFor(async () => (await queueRows(page)).map((r) => r[0]).join() === waiting, {
      timeoutMs: loadedMs,
      description: 'one entry left on the page',
    });
    expect((await slotRows(page)).map(([, run]) => run).sort()).toEqual([running[1], held].sort());
    expect((await queueRows(page))[0]?.[1]).toBe('1');

    // The Runs page lists the two active runs and the two queued ones.
    await page.goto(at(server, ''));
    await page.waitForSelector('body[data-page="runs"]', { timeout: loadedMs });
    const kinds = () =>
      page.$$eval('#runs-table tbody tr', (trs) =>
        trs.map((r) => [r.getAttribute('data-run-id'), r.querySelector('.badge')?.textContent ?? '']),
      );
    // Two active (one of them the run that was queued), one queued, the aborted one recorded.
    await waitFor(async () => (await kinds()).length === 4, {
      timeoutMs: loadedMs,
      description: 'four rows',
    });
    const byId = new Map((await kinds()).map(([id, state]) => [id, state]));
    expect(byId.get(waiting)).toBe('queued');
    for (const id of [held, running[1]]) expect(byId.get(id)).not.toMatch(/queued|held|aborted/);
    expect(byId.get(aborted)).toBe('aborted');
    expect(await seriousViolations(page)).toEqual([]);
    expect(problems.list).toEqual([]);
  });
});
