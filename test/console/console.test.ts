/**
 * The web console in a real browser: Debian's Chromium driven by playwright-core against the local runtime (with
 * its prober, 1 s rounds). The page lists what is registered, follows the change feed without reloading (drains
 * made through the API and by its own buttons, new registrations, a deregistration) and shows the mass-failure
 * guard's banner; its files are served with a strict CSP. (With an auth file: console-auth.test.ts.)
 *
 * `UPDATE_SCREENSHOT=1` also saves the service page to `docs/console.png` (the README's picture).
 */
import { mkdirSync } from 'node:fs';
import { get } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { chromium, type Browser } from 'playwright-core';
import type { LocalRuntime } from '../../local/runtime.js';
import { apiClient, startTestRuntime } from '../support.js';
import { CHROMIUM_ARGS, LIVE_MS, openConsole, row } from './browser.js';

const SCREENSHOT = join(dirname(fileURLToPath(import.meta.url)), '../../docs/console.png');

let runtime: LocalRuntime;
let browser: Browser;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  runtime = await startTestRuntime({ probeIntervalSeconds: 1, history: true });
  api = apiClient(runtime.url);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await runtime?.stop();
});

describe('serving the console', () => {
  it('serves the page and its two assets with a strict CSP, nosniff and revalidation, gzipped when accepted', async () => {
    for (const [path, type] of [
      ['/', 'text/html'],
      ['/console/app.js', 'text/javascript'],
      ['/console/app.css', 'text/css'],
    ] as const) {
      const res = await fetch(runtime.url + path, { headers: { 'accept-encoding': 'identity' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain(type);
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(res.headers.get('content-security-policy')).not.toContain('unsafe-inline');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      const body = Buffer.from(await res.arrayBuffer());
      // Revalidation costs no body; a browser that accepts gzip gets the same bytes compressed.
      const again = await fetch(runtime.url + path, { headers: { 'if-none-match': res.headers.get('etag')! } });
      expect(again.status).toBe(304);
      const zipped = await new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
        // node:http, not fetch: fetch would decompress and hide the encoding.
        get(runtime.url + path, { headers: { 'accept-encoding': 'gzip' } }, (r) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c))
            .on('end', () => resolve({ encoding: r.headers['content-encoding'], body: Buffer.concat(chunks) }))
            .on('error', reject);
        }).on('error', reject);
      });
      expect(zipped.encoding).toBe('gzip');
      expect(gunzipSync(zipped.body).equals(body)).toBe(true);
    }
    const html = await (await fetch(`${runtime.url}/`)).text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script: the CSP would block it anyway
  });

  it('leaves everything else to the API: other methods on / and unknown console paths are not the console', async () => {
    expect((await fetch(`${runtime.url}/`, { method: 'POST' })).status).toBe(404);
    const unknown = await fetch(`${runtime.url}/console/other.js`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'ROUTE_NOT_FOUND' } });
  });
});

/** One page, kept open through the steps in order, as an operator would: the point is that it never reloads. */
describe('an operator watching the registry', () => {
  let session: Awaited<ReturnType<typeof openConsole>>;
  const orders = (n: number, zone: string, extra: object = {}) => ({ address: `10.0.3.${16 + n}`, port: 8080, zone, leaseSeconds: 600, ...extra });

  beforeAll(async () => {
    expect((await api.register('orders', 'orders-1', orders(1, 'eu-west-1a', { tags: ['v2'], metadata: { build: '42' } }))).status).toBe(201);
    expect((await api.register('orders', 'orders-2', orders(2, 'eu-west-1b', { tags: ['v2'], metadata: { build: '42' } }))).status).toBe(201);
    expect((await api.register('payments', 'payments-1', { address: '10.0.5.4', port: 9090, leaseSeconds: 600 })).status).toBe(201);
    session = await openConsole(browser, runtime.url);
  }, 30_000);
  afterAll(async () => {
    await session?.page.close();
  });
  afterEach(() => {
    expect(session.errors).toEqual([]);
  });

  it('lists the services with their total and healthy counts', async () => {
    const { page } = session;
    const ordersRow = page.getByRole('row', { name: /orders/ });
    await ordersRow.waitFor();
    expect(await ordersRow.locator('td').allInnerTexts()).toEqual(['2', '2']);
    expect(
      await page
        .getByRole('row', { name: /payments/ })
        .locator('td')
        .allInnerTexts(),
    ).toEqual(['1', '1']);
  });

  it("opens a service's page with its instances and their details", async () => {
    const { page } = session;
    await page.getByRole('link', { name: 'orders' }).click();
    await row(page, 'orders-1').waitFor();
    expect(page.url()).toMatch(/#\/services\/orders$/);
    const cells = await row(page, 'orders-1').locator('th, td').allInnerTexts();
    expect(cells.slice(0, 8)).toEqual(['orders-1', '10.0.3.17:8080', 'eu-west-1a', '100', 'v2', 'build=42', 'UP', 'passing']);
    expect(cells[8]).toMatch(/^\d+ s$/); // the lease counting down
    expect(Number(cells[9])).toBe((await api.get('orders', 'orders-1')).body.revision);
    await page.getByRole('heading', { name: 'Recent changes in orders' }).waitFor();
    expect(await page.getByRole('button', { name: 'History of orders-1' }).isVisible()).toBe(true);
  });

  it('reads the service again every few seconds, so lease times follow heartbeats (which publish no event)', async () => {
    const reads = () => session.requests.filter((r) => new URL(r.url).pathname === '/v1/services/orders/instances').length;
    const before = reads();
    expect(before).toBeGreaterThan(0);
    await session.page.waitForRequest((r) => new URL(r.url()).pathname === '/v1/services/orders/instances', { timeout: 7000 });
    expect(reads()).toBeGreaterThan(before);
  });

  it('reflects a drain made through the API within 2 s, without a reload', async () => {
    const { page } = session;
    const documents = session.documents();
    expect((await api.patch('orders', 'orders-1', { status: 'DRAINING' })).status).toBe(200);
    await row(page, 'orders-1').locator('td.status', { hasText: 'DRAINING' }).waitFor({ timeout: LIVE_MS });
    expect(session.documents()).toBe(documents);
  });

  it('drains and undrains an instance with its buttons, and the registry has it so', async () => {
    const { page } = session;
    await page.getByRole('button', { name: 'Drain orders-2', exact: true }).click();
    await row(page, 'orders-2').locator('td.status', { hasText: 'DRAINING' }).waitFor({ timeout: LIVE_MS });
    expect((await api.get('orders', 'orders-2')).body.status).toBe('DRAINING');
    await page.getByRole('button', { name: 'Undrain orders-2' }).click();
    await row(page, 'orders-2').locator('td.status', { hasText: 'UP' }).waitFor({ timeout: LIVE_MS });
    expect((await api.get('orders', 'orders-2')).body.status).toBe('UP');
  });

  it('shows a new registration live, with its line and propagation lag in the change feed', async () => {
    const { page } = session;
    const documents = session.documents();
    expect((await api.register('orders', 'orders-3', orders(3, 'eu-west-1c', { tags: ['v3', 'canary'], metadata: { build: '43' } }))).status).toBe(201);
    await row(page, 'orders-3').waitFor({ timeout: LIVE_MS });
    const line = page.locator('table.feed tbody tr', { hasText: 'orders-3' }).first();
    expect(await line.locator('td').nth(1).innerText()).toBe('Instance Registered');
    expect(await line.locator('td').last().innerText()).toMatch(/^-?\d+ ms$/);
    expect(await page.getByRole('status').filter({ hasText: 'Feed: live' }).innerText()).toMatch(/propagation lag .*p50 -?\d+ ms/);
    // The service's recent changes follow too (history is written a hop after the event, hence the longer wait).
    const recent = page.locator('table.history-entries tbody tr').first();
    await recent.filter({ hasText: 'orders-3' }).waitFor({ timeout: 5000 });
    expect(await recent.locator('.type').innerText()).toBe('Instance Registered');
    expect(session.documents()).toBe(documents);
    if (process.env.UPDATE_SCREENSHOT === '1') {
      mkdirSync(dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT });
    }
  });

  it('deregisters an instance after the operator confirms', async () => {
    const { page } = session;
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Deregister orders-3' }).click();
    await row(page, 'orders-3').waitFor({ state: 'detached', timeout: LIVE_MS });
    expect((await api.get('orders', 'orders-3')).status).toBe(404);
  });

  it('reads the service again when the registry says some of its events may be late, and shows the change they carried', async () => {
    const { page } = session;
    // The bus refuses the update's event: the publisher announces a resync for the service instead.
    runtime.bus.fault = (entry) => (entry.DetailType === 'Instance Updated' ? 'InternalFailure' : undefined);
    try {
      expect((await api.patch('orders', 'orders-2', { weight: 5 })).status).toBe(200);
      await page.locator('table.feed tbody tr', { hasText: 'Registry Resync Required' }).first().waitFor({ timeout: LIVE_MS });
      await row(page, 'orders-2').locator('td.num', { hasText: /^5$/ }).waitFor({ timeout: LIVE_MS });
      expect(await page.locator('table.feed tbody tr', { hasText: 'orders-2' }).first().innerText()).not.toContain('weight');
    } finally {
      runtime.bus.fault = undefined;
    }
  });

  it('shows the protection banner when the mass-failure guard engages', async () => {
    // A fleet whose leases all lapse at once, never renewed: reads keep them provisionally, then the prober's guard
    // (1 s rounds) engages and says so in an event.
    const { page } = session;
    const ids = Array.from({ length: 12 }, (_, i) => `fleet-${i}`);
    const replies = await Promise.all(ids.map((id, i) => api.register('fleet', id, { address: `10.0.7.${i + 1}`, port: 80, leaseSeconds: 2 })));
    expect(replies.every((r) => r.status === 201)).toBe(true);
    await page.goto(`${runtime.url}/#/services/fleet`);
    const banner = page.getByRole('alert').filter({ hasText: 'Mass-failure protection is engaged' });
    await banner.waitFor({ timeout: 20_000 });
    await row(page, 'fleet-0').locator('td', { hasText: 'expired (kept by the guard)' }).waitFor({ timeout: 10_000 });

    // A page opened after the guard engaged has seen no event about it: discovery's `protection` shows the banner.
    const late = await openConsole(browser, runtime.url, '#/services/fleet');
    try {
      await late.page.getByRole('alert').filter({ hasText: 'Mass-failure protection is engaged. Since' }).waitFor({ timeout: LIVE_MS });
      expect(late.errors).toEqual([]);
    } finally {
      await late.page.close();
    }
  }, 40_000);
});
