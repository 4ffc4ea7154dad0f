/**
 * The console against a runtime with an auth file, in Chromium: the page works with a bearer token the operator
 * enters (kept in the tab's sessionStorage), follows the change feed with it in a header (never in a URL: the feed
 * is read with fetch, since EventSource cannot send headers), and shows the API's refusals from their error body.
 * Its own file: the handlers are loaded once per module registry, so one runtime per test file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import type { LocalRuntime } from '../../local/runtime.js';
import { apiClient, startTestRuntime } from '../support.js';
import { CHROMIUM_ARGS, LIVE_MS, openConsole, row } from './browser.js';

let browser: Browser;

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

describe('a registry with an auth file', () => {
  const READER = 'reader-token-0123456789';
  let secured: LocalRuntime;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'console-auth-'));
    const authFile = join(dir, 'auth.json');
    writeFileSync(
      authFile,
      JSON.stringify({
        tokens: {
          'writer-token-0123456789': { principal: 'orders-svc', services: ['orders'] },
          [READER]: { principal: 'operator', services: [], read: ['orders'] },
        },
      }),
    );
    secured = await startTestRuntime({ authFile, prober: false, history: true });
    expect(
      (await apiClient(secured.url, 'writer-token-0123456789').register('orders', 'orders-1', { address: '10.0.3.17', port: 8080, leaseSeconds: 600 })).status,
    ).toBe(201);
  }, 30_000);
  afterAll(async () => {
    await secured?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reads with a token kept in the tab, follows the feed with it, shows the API's refusal, and never puts it in a URL", async () => {
    const { page, requests } = await openConsole(browser, secured.url, '#/services/orders');
    try {
      // Without a token: the API's own error (the page's, and the history panel's), and the feed refused the same way.
      await page
        .getByRole('alert')
        .filter({ hasText: /^UNAUTHENTICATED: missing bearer token/ })
        .waitFor();
      await page
        .getByRole('alert')
        .filter({ hasText: /^History: UNAUTHENTICATED: missing bearer token/ })
        .waitFor();
      await page.getByRole('status').filter({ hasText: 'UNAUTHENTICATED' }).waitFor();

      await page.getByLabel('Bearer token').fill(READER);
      await page.getByRole('button', { name: 'Use token' }).click();
      await row(page, 'orders-1').waitFor();
      await page.getByRole('status').filter({ hasText: 'Feed: live' }).waitFor({ timeout: 15_000 });
      expect(await page.evaluate('sessionStorage.length')).toBe(1); // the token, for this tab only

      // The feed delivers with the token: a change made by the owner shows up.
      expect((await apiClient(secured.url, 'writer-token-0123456789').patch('orders', 'orders-1', { weight: 7 })).status).toBe(200);
      await row(page, 'orders-1').locator('td', { hasText: /^7$/ }).waitFor({ timeout: LIVE_MS });

      // A reader may not drain: the error body's code and message are shown, and nothing changed.
      await page.getByRole('button', { name: 'Drain orders-1' }).click();
      await page.getByRole('alert').filter({ hasText: 'Drain orders-1 failed: FORBIDDEN' }).waitFor();
      expect((await apiClient(secured.url, READER).get('orders', 'orders-1')).body.status).toBe('UP');

      const withToken = requests.filter((r) => r.headers.authorization === `Bearer ${READER}`);
      expect(withToken.some((r) => new URL(r.url).pathname === '/v1/events')).toBe(true);
      expect(requests.filter((r) => r.url.includes(READER))).toEqual([]);
    } finally {
      await page.close();
    }
  }, 40_000);
});
