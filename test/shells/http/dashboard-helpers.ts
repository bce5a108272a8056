// Shared parts of the dashboard's browser tests (issue 18): the ML training fixture, starting runs
// through the API, waiting for their end, a page watcher (console errors, page errors, requests
// that leave the origin or fail) and the axe-core accessibility check.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { waitFor } from '../../helpers/wait-for.ts';
import type { ServeProcess } from './serve-process.ts';

/** The ML fixture: loss, learning_rate, accuracy, sys/cpu_percent; a red line; a '\r' bar. */
export const mlJob = fileURLToPath(new URL('./fixtures/train-ml.mjs', import.meta.url));

/** Argv of the ML fixture. */
export const mlArgv = (steps: number, intervalMs: number, seed = 1): string[] => [
  process.execPath,
  mlJob,
  String(steps),
  String(intervalMs),
  String(seed),
];

/** Bounds for a loaded 2-core machine. */
export const loadedMs = 60_000;

/** POST /api/runs as another client would; returns the run id. */
export async function startRun(server: ServeProcess, body: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${server.url}api/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...server.auth },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`start failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

/** GET a JSON route with the server's token. */
export async function getJson<T>(server: ServeProcess, path: string): Promise<T> {
  const res = await fetch(`${server.url}${path}`, { headers: server.auth });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Wait until run `id` has its history record (it ended and was recorded); returns the outcome. */
export async function waitEnded(server: ServeProcess, id: string): Promise<string> {
  return waitFor(
    async () => {
      const run = await getJson<{ record: { outcome: string } | null }>(server, `api/runs/${id}`);
      return run.record?.outcome ?? null;
    },
    { timeoutMs: loadedMs, intervalMs: 200, description: `run ${id} to be recorded` },
  );
}

/** The metric points of one metric in a run's events file: [step, value] in file order. */
export function eventsOf(ws: string, runId: string, metric: string): [number, number][] {
  return readFileSync(join(ws, runId, 'events.ndjson'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { kind: string; name?: string; step?: number; value?: number })
    .filter((e) => e.kind === 'metric' && e.name === metric)
    .map((e) => [e.step ?? 0, e.value ?? Number.NaN]);
}

/** What went wrong on a page: console errors, uncaught errors, requests off the origin or failed. */
export interface PageProblems {
  readonly list: string[];
}

/** Watch `page` for problems from now on. Requests cut short by a navigation are not problems. */
export function watchPage(page: Page, origin: string): PageProblems {
  const list: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') list.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => list.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:')) {
      list.push(`request off the origin: ${url}`);
    }
  });
  page.on('requestfailed', (r) => {
    const error = r.failure()?.errorText ?? '';
    if (error !== 'net::ERR_ABORTED') list.push(`request failed: ${r.url()} ${error}`);
  });
  return { list };
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical violations on the page as it is now (WCAG 2 A/AA rules). */
export async function seriousViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol: the page's CSP (scripts from files only) stays on.
  await page.evaluate(axeSource);
  const result = (await page.evaluate(() =>
    (
      globalThis as unknown as {
        axe: {
          run(
            o: unknown,
          ): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }>;
        };
      }
    ).axe.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } }),
  )) as { violations: { id: string; impact: string; nodes: { target: string[] }[] }[] };
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Whether the page scrolls sideways (its content is wider than the viewport). */
export function scrollsSideways(page: Page): Promise<boolean> {
  return page.evaluate<boolean>(
    'document.documentElement.scrollWidth > document.documentElement.clientWidth',
  );
}
