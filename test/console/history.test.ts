/**
 * The console's history panel in Chromium, against a runtime with an auth file and its prober (1 s rounds): an
 * instance's changes newest first with who made each (the owner, an admin who drained it, the prober's health mark),
 * the service's recent changes (a deregistration included), a live refresh on a new change, "Load more" through the
 * cursor, and the API's refusal for a token that may not read the service.
 * Its own file: the handlers are loaded once per module registry, so one runtime per test file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { LocalRuntime } from '../../local/runtime.js';
import { apiClient, startTestRuntime } from '../support.js';
import { CHROMIUM_ARGS, openConsole } from './browser.js';

const OWNER = 'orders-owner-token-0123456789';
const ADMIN = 'platform-admin-token-0123456789';
const STRANGER = 'payments-reader-token-0123456789';
/** History is written by the stream's second consumer, a hop after the event: "within a few seconds". */
const HISTORY_MS = 5000;

let browser: Browser;
let runtime: LocalRuntime;
let health: Server;
let dir: string;
const owner = () => apiClient(runtime.url, OWNER);
const admin = () => apiClient(runtime.url, ADMIN);

/** The service's history as the API has it (all pages), newest first. */
async function apiHistory(instanceId?: string): Promise<{ instanceId: string; revision: number; detailType: string; principal: string }[]> {
  const all = [];
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams({ limit: '1000', ...(instanceId && { instanceId }), ...(cursor && { cursor }) });
    const page = await admin().call('GET', `/v1/services/orders/history?${query}`);
    expect(page.status).toBe(200);
    all.push(...page.body.entries);
    cursor = page.body.cursor;
  } while (cursor);
  return all;
}

async function untilInHistory(instanceId: string, detailType: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await apiHistory(instanceId)).some((e) => e.detailType === detailType)) {
    if (Date.now() > deadline) throw new Error(`no ${detailType} of ${instanceId} in the history`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function openWithToken(token: string, hash: string) {
  const session = await openConsole(browser, runtime.url, hash);
  await session.page.getByLabel('Bearer token').fill(token);
  await session.page.getByRole('button', { name: 'Use token' }).click();
  await session.page.getByRole('status').filter({ hasText: 'Feed: live' }).waitFor({ timeout: 15_000 });
  // The page's first reads, before the token, were refused (401): the browser logs those; what follows must be clean.
  session.errors.length = 0;
  return session;
}

const panel = (page: Page) => page.locator('section.history');
const entryRows = (page: Page) => panel(page).locator('tbody tr');
/** The panel's rows as [change, instance, revision, changed, principal]. */
async function shown(page: Page): Promise<string[][]> {
  return Promise.all(
    (await entryRows(page).all()).map(async (r) => {
      const cells = await r.locator('td').allInnerTexts();
      return [await r.locator('.type').innerText(), cells[2]!, cells[3]!, cells[4]!, cells[5]!];
    }),
  );
}

beforeAll(async () => {
  health = createServer((_req, res) => res.writeHead(200).end());
  await new Promise<void>((r) => health.listen(0, '127.0.0.1', r));
  dir = mkdtempSync(join(tmpdir(), 'console-history-'));
  const authFile = join(dir, 'auth.json');
  writeFileSync(
    authFile,
    JSON.stringify({
      tokens: {
        [OWNER]: { principal: 'orders-svc', services: ['orders'] },
        [ADMIN]: { principal: 'platform-admin', services: [], admin: true },
        [STRANGER]: { principal: 'payments-reader', services: [], read: ['payments'] },
      },
    }),
  );
  runtime = await startTestRuntime({ authFile, probeIntervalSeconds: 1, history: true });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });

  // The owner registers two instances; the prober marks the checked one passing; an admin drains it; the owner
  // deregisters the other. Each step waits for the previous one's history, so the order is known.
  const check = { type: 'http', path: '/health', intervalSeconds: 1, timeoutSeconds: 1, healthyThreshold: 1 };
  const healthPort = (health.address() as AddressInfo).port;
  expect((await owner().register('orders', 'orders-1', { address: '127.0.0.1', port: healthPort, healthCheck: check })).status).toBe(201);
  expect((await owner().register('orders', 'orders-2', { address: '10.0.3.18', port: 8080, leaseSeconds: 600 })).status).toBe(201);
  await untilInHistory('orders-1', 'Instance Health Changed');
  expect((await admin().patch('orders', 'orders-1', { status: 'DRAINING' })).status).toBe(200);
  expect((await owner().deregister('orders', 'orders-2')).status).toBe(204);
  await untilInHistory('orders-1', 'Instance Updated');
  await untilInHistory('orders-2', 'Instance Deregistered');
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await runtime?.stop();
  await new Promise((r) => health?.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe("an instance's history in the console", () => {
  it('lists the changes newest first with who made each, and shows a new change without a reload', async () => {
    const session = await openWithToken(ADMIN, '#/services/orders');
    const { page } = session;
    try {
      await page.getByRole('button', { name: 'History of orders-1' }).click();
      await page.getByRole('heading', { name: 'History of orders-1' }).waitFor();
      await entryRows(page).nth(2).waitFor();
      const revisions = (await apiHistory('orders-1')).map((e) => String(e.revision));
      expect(await shown(page)).toEqual([
        ['Instance Updated', 'orders-1', revisions[0], 'status', 'platform-admin'],
        ['Instance Health Changed', 'orders-1', revisions[1], 'health', 'health prober registry:prober'],
        ['Instance Registered', 'orders-1', revisions[2], '—', 'orders-svc'],
      ]);

      // A change made elsewhere: the panel reads the history again when its event arrives.
      const documents = session.documents();
      expect((await admin().patch('orders', 'orders-1', { status: 'UP' })).status).toBe(200);
      await entryRows(page).nth(3).waitFor({ timeout: HISTORY_MS });
      const [newest] = await shown(page);
      expect(newest).toEqual(['Instance Updated', 'orders-1', String((await apiHistory('orders-1'))[0]!.revision), 'status', 'platform-admin']);
      expect(session.documents()).toBe(documents);

      // The service's recent changes: every instance's, the deregistered one's included.
      await page.getByRole('button', { name: 'All recent changes in orders' }).click();
      await page.getByRole('heading', { name: 'Recent changes in orders' }).waitFor();
      await entryRows(page).nth(4).waitFor();
      expect(await shown(page)).toContainEqual(['Instance Deregistered', 'orders-2', expect.any(String), '—', 'orders-svc']);
      expect(await entryRows(page).count()).toBe((await apiHistory()).length);
      expect(session.errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 30_000);

  it('pages older changes in with "Load more", newest first and none twice', async () => {
    for (let weight = 1; weight <= 24; weight++) expect((await owner().patch('orders', 'orders-1', { weight })).status).toBe(200);
    const deadline = Date.now() + 15_000;
    while ((await apiHistory('orders-1')).length < 28 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const expected = (await apiHistory('orders-1')).map((e) => String(e.revision));
    expect(expected.length).toBe(28); // 3 + the undrain + 24 weights

    const session = await openWithToken(ADMIN, '#/services/orders');
    const { page } = session;
    try {
      await page.getByRole('button', { name: 'History of orders-1' }).click();
      await entryRows(page).nth(19).waitFor();
      expect(await entryRows(page).count()).toBe(20); // one page
      await page.getByRole('button', { name: 'Load more' }).click();
      await entryRows(page).nth(27).waitFor();
      expect((await shown(page)).map((r) => r[2])).toEqual(expected);
      expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0); // the last page has no cursor
      expect(session.errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 40_000);

  it("shows the API's refusal when the token may not read the service", async () => {
    const { page } = await openWithToken(STRANGER, '#/services/orders');
    try {
      await panel(page).getByRole('alert').filter({ hasText: 'History: FORBIDDEN' }).waitFor({ timeout: HISTORY_MS });
      expect(await entryRows(page).count()).toBe(0);
    } finally {
      await page.close();
    }
  }, 20_000);
});
