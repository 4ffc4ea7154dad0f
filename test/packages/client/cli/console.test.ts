/**
 * `service-registry console` against an AWS-like registry: a stand-in for API Gateway that verifies every SigV4
 * signature (test/packages/client/cli/support.ts) in front of a real local runtime. The console server signs the page's calls with
 * the operator's credentials (from the environment, as the default chain reads them), the browser never holds one,
 * only the console's own calls are made and only for loopback pages, and the live feed — which AWS does not have —
 * is made by polling discovery: the page in Chromium shows a registration and a drain made through the API without
 * a reload. `watch` against the same stand-in polls too.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { CONTENT_SECURITY_POLICY } from '../../../../local/console.js';
import type { LocalRuntime } from '../../../../local/runtime.js';
import { CHROMIUM_ARGS, openConsole, row } from '../../../console/browser.js';
import { apiClient, eventually, startTestRuntime, subscribe } from '../../../support.js';
import { ACCESS_KEY, cli, SECRET_KEY, spawnCli, startSigV4StandIn } from './support.js';

/** How soon a change must show through the polling feed: a poll every 2 s, plus the page's own work. */
const POLLED_MS = 6000;

let runtime: LocalRuntime;
let api: ReturnType<typeof apiClient>;
let standIn: Awaited<ReturnType<typeof startSigV4StandIn>>;
let server: ReturnType<typeof spawnCli>;
let base: string;
const AWS = { AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: SECRET_KEY };

beforeAll(async () => {
  runtime = await startTestRuntime({ probeIntervalSeconds: 1, history: true });
  api = apiClient(runtime.url);
  standIn = await startSigV4StandIn(runtime.url);
  server = spawnCli(['console', '--url', standIn.url, '--region', 'eu-west-1'], AWS);
  const line = await server.line(/^console on /, 20_000);
  base = /^console on (http:\/\/127\.0\.0\.1:\d+)\/ → /.exec(line)![1]!;
  expect(line).toBe(`console on ${base}/ → ${standIn.url}, signed with SigV4 (eu-west-1) (Ctrl-C to stop)`);
}, 60_000);
afterAll(async () => {
  expect(await server?.stop()).toBe(0);
  await standIn?.close();
  await runtime?.stop();
});

describe('the console server', () => {
  it("serves the console's files with the local runtime's policy, gzipped when accepted", async () => {
    for (const path of ['/', '/console/app.js', '/console/app.css']) {
      const res = await fetch(base + path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-encoding')).toBe('gzip'); // fetch asks for it
    }
  });

  it("makes the console's calls signed with SigV4, which the stand-in verifies, and the browser sends no credentials", async () => {
    expect((await api.register('orders', 'orders-1', { address: '10.0.3.17', port: 8080, zone: 'eu west 1a', tags: ['v 2'], leaseSeconds: 600 })).status).toBe(
      201,
    );
    // The service counters follow from the stream (eventually consistent): wait for them, past the stand-in.
    await eventually(
      () => api.services(),
      (r) => r.body.services?.some((s: any) => s.service === 'orders'),
    );
    const before = standIn.seen.length;
    const services = await fetch(`${base}/v1/services?limit=1000`);
    expect(await services.json()).toEqual({ services: [{ service: 'orders', total: 1, healthy: 1 }] });
    // A query with spaces is signed as API Gateway reads it.
    const found = await fetch(`${base}/v1/services/orders/instances?status=all&zone=eu%20west%201a&tag=v%202&limit=1000`, {
      headers: { authorization: 'Bearer from-the-page' },
    });
    expect(found.status).toBe(200);
    expect(((await found.json()) as { instances: Array<{ instanceId: string }> }).instances.map((i) => i.instanceId)).toEqual(['orders-1']);
    const etag = found.headers.get('etag')!;
    expect(
      (await fetch(`${base}/v1/services/orders/instances?status=all&zone=eu%20west%201a&tag=v%202&limit=1000`, { headers: { 'if-none-match': etag } })).status,
    ).toBe(304);
    const patched = await fetch(`${base}/v1/services/orders/instances/orders-1`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', origin: base },
      body: JSON.stringify({ weight: 7 }),
    });
    expect({ status: patched.status, weight: ((await patched.json()) as { weight: number }).weight }).toEqual({ status: 200, weight: 7 });

    const history = await fetch(`${base}/v1/services/orders/history?instanceId=orders-1&since=1h&limit=10`);
    expect(history.status).toBe(200);
    expect(await history.json()).toMatchObject({ service: 'orders', entries: expect.any(Array) });

    const calls = standIn.seen.slice(before);
    expect(calls.map((c) => `${c.method} ${c.url.split('?')[0]}`)).toEqual([
      'GET /v1/services',
      'GET /v1/services/orders/instances',
      'GET /v1/services/orders/instances',
      'PATCH /v1/services/orders/instances/orders-1',
      'GET /v1/services/orders/history',
    ]);
    expect(calls.every((c) => c.verified && c.headers.authorization!.startsWith(`AWS4-HMAC-SHA256 Credential=${ACCESS_KEY}/`))).toBe(true);
    expect(calls.some((c) => JSON.stringify(c.headers).includes('from-the-page'))).toBe(false); // the page's token goes nowhere
  });

  it('passes the registry’s refusals on in its error shape: a wrong key is a 403 that reaches nothing', async () => {
    const wrong = spawnCli(['console', '--url', standIn.url, '--region', 'eu-west-1', '--json'], { ...AWS, AWS_SECRET_ACCESS_KEY: 'not-the-secret' });
    try {
      const { url } = JSON.parse(await wrong.line(/^\{/, 20_000)) as { url: string };
      const before = standIn.seen.length;
      const res = await fetch(`${url}v1/services`);
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ error: { code: 'HTTP_403' } });
      expect(standIn.seen.slice(before).map((c) => c.verified)).toEqual([false]);
      // The feed's first poll is refused the same way, before the stream starts.
      expect((await fetch(`${url}v1/events`)).status).toBe(403);
    } finally {
      expect(await wrong.stop()).toBe(0);
    }
  }, 30_000);

  it('refuses other hosts and origins (DNS rebinding) and every call the console does not make (no open proxy)', async () => {
    const before = standIn.seen.length;
    const port = new URL(base).port;
    const get = (path: string, headers: Record<string, string> = {}) => fetch(base + path, { headers });
    // fetch does not let a caller set Host; node:http does.
    const { request } = await import('node:http');
    const rebound = await new Promise<number>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/v1/services', headers: { host: `attacker.example:${port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      })
        .on('error', reject)
        .end();
    });
    expect(rebound).toBe(403);
    expect((await get('/v1/services', { origin: 'https://attacker.example' })).status).toBe(403);
    expect((await get('/v1/tokens')).status).toBe(404);
    expect((await get('/v1/openapi.json')).status).toBe(404);
    expect((await fetch(`${base}/v1/services/orders/instances/orders-1`, { method: 'PUT', body: '{}' })).status).toBe(404);
    expect((await get('/http://169.254.169.254/latest/meta-data/')).status).toBe(404);
    expect((await get('/v1/services/orders/instances/a%2F..%2F..%2Ftokens')).status).toBe(400);
    expect(standIn.seen.length).toBe(before); // nothing reached the registry
  });

  it('serves /v1/events itself, made by polling discovery: registered, updated (patched), deregistered, expired', async () => {
    const feed = await subscribe(base, 'service=payments');
    try {
      await new Promise((resolve) => setTimeout(resolve, 2500)); // the first poll sets what is held
      expect((await api.register('payments', 'pay-1', { address: '10.0.5.4', port: 9090, leaseSeconds: 600 })).status).toBe(201);
      const registered = await feed.next((m) => m.data.detail?.instanceId === 'pay-1', POLLED_MS);
      expect(registered).toMatchObject({
        event: 'Instance Registered',
        data: { 'detail-type': 'Instance Registered', detail: { service: 'payments', reason: 'registered', changed: [], instance: { port: 9090 } } },
      });
      expect((await api.patch('payments', 'pay-1', { status: 'DRAINING' })).status).toBe(200);
      const updated = await feed.next((m) => m.event === 'Instance Updated', POLLED_MS);
      expect(updated.data.detail).toMatchObject({ reason: 'patched', changed: ['status'], instance: { status: 'DRAINING' } });
      expect(updated.data.detail.revision).toBe((await api.get('payments', 'pay-1')).body.revision);
      expect((await api.deregister('payments', 'pay-1')).status).toBe(204);
      const gone = await feed.next((m) => m.event === 'Instance Deregistered', POLLED_MS);
      expect(gone.data.detail).toMatchObject({ reason: 'deregistered', instance: null, revision: updated.data.detail.revision + 1 });
      // A lease that runs out: gone from discovery with its lease past, so an expiry. (Long enough for a poll to see
      // the instance first: a registration and its expiry between two polls show as nothing.)
      expect((await api.register('payments', 'pay-2', { address: '10.0.5.5', port: 9090, leaseSeconds: 8 })).status).toBe(201);
      await feed.next((m) => m.event === 'Instance Registered' && m.data.detail.instanceId === 'pay-2', POLLED_MS);
      const expired = await feed.next((m) => m.data.detail?.instanceId === 'pay-2' && m.event !== 'Instance Registered', 8000 + POLLED_MS);
      expect(expired).toMatchObject({ event: 'Instance Expired', data: { detail: { reason: 'lease-expired', instance: null } } });
    } finally {
      feed.close();
    }
  }, 60_000);

  it("reports the prober's health changes as Instance Health Changed", async () => {
    // GIVEN a probe-driven instance whose check we can fail
    let healthy = true;
    const target = createServer((_req, res) => void res.writeHead(healthy ? 200 : 500).end());
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const feed = await subscribe(base, 'service=checks');
    try {
      const check = { type: 'http', path: '/h', intervalSeconds: 1, healthyThreshold: 1, unhealthyThreshold: 1 };
      expect((await api.register('checks', 'web-1', { address: '127.0.0.1', port: (target.address() as AddressInfo).port, healthCheck: check })).status).toBe(
        201,
      );
      await feed.next((m) => m.event === 'Instance Registered', POLLED_MS);
      // WHEN its check fails
      healthy = false;
      // THEN the feed says so, with only `health` changed
      const critical = await feed.next((m) => m.event === 'Instance Health Changed' && m.data.detail.instance.health === 'critical', 3000 + POLLED_MS);
      expect(critical.data.detail).toMatchObject({ reason: 'health-check', changed: ['health'] });
    } finally {
      feed.close();
      target.closeAllConnections();
      await new Promise((resolve) => target.close(resolve));
    }
  }, 30_000);

  it('tells a page that reconnects to reload (event: resync): it replays nothing', async () => {
    const feed = await subscribe(base, '', { 'last-event-id': '12345' });
    try {
      expect((await feed.next((m) => m.event === 'resync', 5000)).data).toEqual({ reason: 'the console server replays nothing' });
    } finally {
      feed.close();
    }
  });
});

describe('the console through the server, in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('shows a registered instance, then a registration and a drain made through the API without a reload', async () => {
    const session = await openConsole(browser, base, '#/services/orders');
    try {
      const { page } = session;
      await row(page, 'orders-1').waitFor({ timeout: POLLED_MS });
      expect((await row(page, 'orders-1').locator('th, td').allInnerTexts()).slice(0, 4)).toEqual(['orders-1', '10.0.3.17:8080', 'eu west 1a', '7']);
      await page.getByRole('status').filter({ hasText: 'Feed: live' }).waitFor({ timeout: POLLED_MS });
      const documents = session.documents();

      expect((await api.register('orders', 'orders-2', { address: '10.0.3.18', port: 8080, leaseSeconds: 600 })).status).toBe(201);
      await row(page, 'orders-2').waitFor({ timeout: POLLED_MS });
      expect((await api.patch('orders', 'orders-1', { status: 'DRAINING' })).status).toBe(200);
      await row(page, 'orders-1').locator('td.status', { hasText: 'DRAINING' }).waitFor({ timeout: POLLED_MS });
      // The change came through the feed (its line is in the panel), not only the page's 5-second re-read.
      await page.locator('table.feed tbody tr', { hasText: 'orders-1' }).first().waitFor({ timeout: POLLED_MS });
      expect(session.documents()).toBe(documents);
      // No request of the page carried a credential, and it talked to the console server only.
      expect(session.requests.every((r) => !r.headers.authorization && r.url.startsWith(base))).toBe(true);
      expect(session.errors).toEqual([]);
    } finally {
      await session.page.close();
    }
  }, 40_000);

  it('drains with the page’s own button, signed by the server', async () => {
    const session = await openConsole(browser, base, '#/services/orders');
    try {
      const { page } = session;
      const before = standIn.seen.length;
      await page.getByRole('button', { name: 'Drain orders-2', exact: true }).click();
      await row(page, 'orders-2').locator('td.status', { hasText: 'DRAINING' }).waitFor({ timeout: POLLED_MS });
      expect((await api.get('orders', 'orders-2')).body.status).toBe('DRAINING');
      expect(
        standIn.seen
          .slice(before)
          .filter((c) => c.method === 'PATCH')
          .map((c) => c.verified),
      ).toEqual([true]);
    } finally {
      await session.page.close();
    }
  }, 30_000);
});

describe('service-registry watch against AWS', () => {
  it('polls discovery (there is no /v1/events) and prints changes as the same lines', async () => {
    const watch = spawnCli(['watch', 'orders', '--url', standIn.url, '--region', 'eu-west-1'], AWS);
    try {
      // Its first poll sets what it holds (and prints nothing); register probes until one prints: it is polling.
      for (let n = 0; ; n++) {
        await api.register('orders', `probe-${n}`, { address: '10.0.3.98', port: 8080, leaseSeconds: 600 });
        try {
          await watch.line(new RegExp(`orders/probe-${n}\\b`), 3000);
          break;
        } catch (error) {
          if (n > 10) throw error;
        }
      }
      expect((await api.register('orders', 'orders-9', { address: '10.0.3.99', port: 8080, leaseSeconds: 600 })).status).toBe(201);
      expect(await watch.line(/orders-9/, POLLED_MS)).toMatch(/^\d\d:\d\d:\d\d  registered {5}orders\/orders-9  rev \d+  10\.0\.3\.99:8080 UP passing$/);
      expect(standIn.seen.some((c) => c.url.startsWith('/v1/events'))).toBe(false);
    } finally {
      expect(await watch.stop()).toBe(0);
    }
    expect(watch.stderr).toBe('');
  }, 60_000);

  it('says in --help that AWS is polled', async () => {
    const help = await cli(['watch', '--help']);
    expect(help.stdout).toMatch(/Against AWS .* polls\s+discovery every ~2 s with If-None-Match/s);
  });
});
