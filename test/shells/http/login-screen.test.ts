// Proves the dashboard's login screen in Chromium against a real `runwarden serve` (token by
// default): opened without a token it shows the login form (not "reconnecting…" forever) and
// opens no event stream; a wrong token says so; the right one logs in and the dashboard goes live.
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/wait-for.ts';
import { screenshot, useBrowserSuite } from './browser.ts';
import { tempWorkspace } from './helpers.ts';
import { freePort, startServe } from './serve-process.ts';

const suite = useBrowserSuite();

describe.skipIf(suite.missing !== null)('the dashboard without a valid token', () => {
  it('shows a login screen, refuses a wrong token, and goes live with the right one', async () => {
    const server = await startServe(tempWorkspace(), await freePort());
    suite.defer(() => server.stop('SIGKILL'));
    const context = await suite.browser().browser.newContext();
    suite.defer(() => context.close());
    const page = await context.newPage();
    await page.goto(server.url);
    await page.waitForSelector('#login:not([hidden])', { timeout: 20_000 });
    expect(await page.isVisible('#main')).toBe(false);
    expect(await page.textContent('#connection')).toBe('logged out');
    expect(await page.isVisible('#login-error')).toBe(false);
    await screenshot(page, 'login-screen');

    await page.fill('#login-token', 'not-the-token-0123456789');
    await page.click('#login-submit');
    await page.waitForSelector('#login-error:has-text("the token was refused")', { timeout: 20_000 });
    // No event stream was opened (the page subscribes only once the API accepts it).
    expect(await page.getAttribute('body', 'data-stream')).toBeNull();

    // The wrong token made this address wait 500 ms (429 and a "retry" message if we are faster):
    // submit the right token until the dashboard shows (bounded).
    await page.fill('#login-token', server.token ?? '');
    await waitFor(
      async () => {
        await page.click('#login-submit').catch(() => {});
        return page
          .waitForSelector('#main', { state: 'visible', timeout: 1_000 })
          .then(() => true)
          .catch(() => false);
      },
      { timeoutMs: 20_000, intervalMs: 200, description: 'the right token to log the page in' },
    );
    await page.waitForSelector('body[data-state="idle"]', { timeout: 20_000 });
    await page.waitForSelector('#connection:has-text("live")', { timeout: 20_000 });
    expect(await page.isVisible('#login')).toBe(false);
    expect(await page.getAttribute('body', 'data-stream')).toBe('shared');
  });

  it('shows the login screen with the reason when the #token= fragment is wrong', async () => {
    const server = await startServe(tempWorkspace(), await freePort());
    suite.defer(() => server.stop('SIGKILL'));
    const context = await suite.browser().browser.newContext();
    suite.defer(() => context.close());
    const page = await context.newPage();
    await page.goto(`${server.url}#token=wrong-token-0123456789`);
    await page.waitForSelector('#login-error:has-text("the token was refused")', { timeout: 20_000 });
    expect(page.url()).toBe(server.url);
    expect(await page.isVisible('#main')).toBe(false);
  });
});
