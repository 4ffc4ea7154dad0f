/** Helpers of the console's browser tests: Debian's Chromium through playwright-core. */
import type { Browser, Page } from 'playwright-core';

/** Flags for a headless Chromium in a container, with no traffic of its own (updates, sync, QUIC probes). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** How soon a change must show on an open page (the bound). */
export const LIVE_MS = 2000;

/** A page with the console open at `hash`, recording console errors and every request it makes. */
export async function openConsole(browser: Browser, base: string, hash = '') {
  const page = await browser.newPage({ viewport: { width: 1200, height: 700 } });
  const errors: string[] = [];
  const requests: { url: string; type: string; headers: Record<string, string> }[] = [];
  page.on('console', (message) => void (message.type() === 'error' && errors.push(message.text())));
  page.on('pageerror', (error) => void errors.push(error.message));
  page.on('request', (request) => void requests.push({ url: request.url(), type: request.resourceType(), headers: request.headers() }));
  await page.goto(`${base}/${hash}`);
  /** Documents loaded so far: unchanged means the page was not reloaded. */
  const documents = () => requests.filter((r) => r.type === 'document').length;
  return { page, errors, requests, documents };
}

/** The instance table's row of one instance. */
export const row = (page: Page, id: string) => page.locator(`tr[data-instance="${id}"]`);
