// Debian's Chromium driven by playwright-core for the dashboard tests: launched as a server so
// its PID is known and checked gone; skipped (with the reason printed) when it is not installed.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserServer, chromium, type Page } from 'playwright-core';
import { afterEach, beforeAll } from 'vitest';
import { waitFor } from '../../helpers/wait-for.ts';
import { alive, repoRoot } from '../cli/run-cli.ts';

export const chromiumPath = '/usr/bin/chromium';

/** Why the browser tests cannot run here, or null when they can. */
export function browserMissing(): string | null {
  return existsSync(chromiumPath)
    ? null
    : `skipping the dashboard browser tests: ${chromiumPath} is missing (apt-get install -y chromium)`;
}

const flags = [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

/** A launched Chromium and the browser connected to it. */
export interface TestBrowser {
  readonly browser: Browser;
  readonly pid: number;
  close(): Promise<void>;
}

/** Launch headless Chromium; close() ends it and waits until its PID is gone. */
export async function launchBrowser(): Promise<TestBrowser> {
  const server: BrowserServer = await chromium.launchServer({
    executablePath: chromiumPath,
    headless: true,
    args: flags,
  });
  const pid = server.process().pid ?? -1;
  const browser = await chromium.connect(server.wsEndpoint());
  return {
    browser,
    pid,
    close: async () => {
      await browser.close().catch(() => {});
      await server.close().catch(() => {});
      if (alive(pid)) process.kill(pid, 'SIGKILL');
      await waitFor(() => !alive(pid), { timeoutMs: 10_000, description: `chromium ${pid} to be gone` });
    },
  };
}

/** Save a screenshot as a test artifact (test-artifacts/dashboard/<name>.png, gitignored). */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = join(repoRoot, 'test-artifacts', 'dashboard');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

/** A browser suite's shared parts: why it is skipped, the browser, and per-test cleanups. */
export interface BrowserSuite {
  /** Why the suite cannot run here (printed once), or null. */
  readonly missing: string | null;
  /** The Chromium launched for the file (inside tests only). */
  browser(): TestBrowser;
  /** Run `cleanup` after this test, last registered first. */
  defer(cleanup: () => Promise<void>): void;
}

/** Register the hooks every browser test file needs: one Chromium per file, cleanups per test. */
export function useBrowserSuite(): BrowserSuite {
  const missing = browserMissing();
  if (missing !== null) console.log(missing);
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  let launched: TestBrowser | null = null;
  beforeAll(async () => {
    if (missing !== null) return;
    const browser = await launchBrowser();
    launched = browser;
    return () => browser.close();
  });
  return {
    missing,
    browser() {
      if (launched === null) throw new Error('useBrowserSuite: the browser is only there inside tests');
      return launched;
    },
    defer(cleanup) {
      cleanups.push(cleanup);
    },
  };
}
