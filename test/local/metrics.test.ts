/**
 * `GET /metrics` of the local runtime after real traffic: registrations, a 400, a drain, a publish fault, prober
 * rounds (1 s) against a passing and a failing target, and a fleet whose leases lapse until the guard engages.
 * Every family is read through a Prometheus text parser and checked for its type, labels and the values the
 * traffic implies.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalRuntime } from '../../local/runtime.js';
import { METRIC_NAMES, METRICS, prometheusName } from '../../lambdas/metrics.js';
import { apiClient, sleep, startTestRuntime, subscribe } from '../support.js';
import { scrape, type Scrape } from './metrics-scrape.js';

let runtime: LocalRuntime;
let api: ReturnType<typeof apiClient>;
let target: Server;
let targetPort: number;
let closedPort: number;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Scrapes until `done` holds (the prober and the publisher run on their own pace). */
async function scrapeUntil(done: (s: Scrape) => boolean, timeoutMs = 20_000): Promise<Scrape> {
  const deadline = Date.now() + timeoutMs;
  let last = await scrape(runtime.url);
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`metrics never matched within ${timeoutMs} ms`);
    await sleep(200);
    last = await scrape(runtime.url);
  }
  return last;
}

beforeAll(async () => {
  target = createServer((_, res) => res.writeHead(200).end());
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  targetPort = (target.address() as AddressInfo).port;
  closedPort = await freePort();
  // The stream publisher alone: the injected fault below is the publisher's (`PublishFailures`); with the fast path
  // on, the writing function's copy would take it (`FastPublishFailures`, counted in test/e2e/events/fast-path.test.ts).
  runtime = await startTestRuntime({ probeIntervalSeconds: 1, fastPublish: false });
  api = apiClient(runtime.url);
});

afterAll(async () => {
  await runtime.stop();
  target.closeAllConnections();
  await new Promise((resolve) => target.close(resolve));
});

describe('GET /metrics after real traffic', () => {
  let metrics: Scrape;

  beforeAll(async () => {
    // Prepare: an SSE subscriber (delivery lag), one publish fault, then the traffic.
    const feed = await subscribe(runtime.url, 'service=web');
    let faulted = false;
    runtime.bus.fault = (entry) => (!faulted && entry.DetailType === 'Instance Registered' ? ((faulted = true), 'ThrottlingException') : undefined);
    const check = { type: 'http', path: '/health', intervalSeconds: 1, timeoutSeconds: 1, unhealthyThreshold: 1, healthyThreshold: 1 };
    expect((await api.register('web', 'web-1', { address: '127.0.0.1', port: targetPort, healthCheck: check })).status).toBe(201);
    expect((await api.register('web', 'web-2', { address: '127.0.0.1', port: closedPort, healthCheck: check })).status).toBe(201);
    expect((await api.register('web', 'web-3', { address: '127.0.0.1', port: 'eighty' })).status).toBe(400);
    expect((await api.patch('web', 'web-1', { status: 'DRAINING' })).status).toBe(200);
    const fleet = Array.from({ length: 12 }, (_, i) => api.register('fleet', `fleet-${i}`, { address: `10.0.7.${i + 1}`, port: 80, leaseSeconds: 2 }));
    expect((await Promise.all(fleet)).every((r) => r.status === 201)).toBe(true);
    await feed.next((m) => m.event === 'Instance Updated');
    feed.close();

    // Act: wait for the prober's verdicts and the lease guard, then scrape once more.
    metrics = await scrapeUntil(
      (s) =>
        s.value('Instances', { service: 'web', status: 'UP', health: 'critical' }) === 1 &&
        s.value('Instances', { service: 'web', status: 'DRAINING', health: 'passing' }) === 1 &&
        s.value('ProtectionEngaged', { service: 'fleet', kind: 'lease' }) === 1 &&
        s.family('Instances').metrics.every((m) => m.labels?.service !== 'fleet' || m.value === '0') &&
        s.value('PublishFailures') >= 1,
    );
  }, 40_000);

  it('declares every family with the type and labels of lambdas/metrics.ts', () => {
    const types = { counter: 'COUNTER', gauge: 'GAUGE', histogram: 'HISTOGRAM' } as const;
    for (const name of METRIC_NAMES) {
      const family = metrics.family(name);
      expect({ name, type: family.type }).toEqual({ name, type: types[METRICS[name].type] });
      for (const sample of family.metrics) expect(Object.keys(sample.labels ?? {}).sort()).toEqual([...METRICS[name].labels].sort());
    }
  });

  it('counts HTTP requests by route id and status, never by raw path', () => {
    expect(metrics.value('HttpRequests', { route: 'RegisterInstance', status: '201' })).toBe(14);
    expect(metrics.value('HttpRequests', { route: 'RegisterInstance', status: '400' })).toBe(1);
    expect(metrics.value('HttpRequests', { route: 'PatchInstance', status: '200' })).toBe(1);
    const routes = new Set(metrics.family('HttpRequests').metrics.map((m) => m.labels?.route));
    expect([...routes].filter((route) => route?.includes('/'))).toEqual([]);
    const latency = metrics.sample('HttpRequestDuration', { route: 'RegisterInstance', status: '201' })!;
    expect(Number(latency.count)).toBe(14);
    expect(Number(latency.sum)).toBeGreaterThan(0);
    expect(Number(latency.buckets!['+Inf'])).toBe(14);
  });

  it('counts every request the route table answered, unmatched paths under one label value', async () => {
    await fetch(`${runtime.url}/no/such/path-${Date.now()}`);
    await fetch(`${runtime.url}/another/unknown`);
    const after = await scrape(runtime.url);
    expect(after.value('HttpRequests', { route: 'unmatched', status: '404' })).toBe(2);
  });

  it('gauges live instances by service, status and health from the table', () => {
    expect(metrics.value('Instances', { service: 'web', status: 'DRAINING', health: 'passing' })).toBe(1);
    expect(metrics.value('Instances', { service: 'web', status: 'UP', health: 'critical' })).toBe(1);
    // The 400 registered nothing.
    const web = metrics.family('Instances').metrics.filter((m) => m.labels?.service === 'web');
    expect(web.reduce((sum, m) => sum + Number(m.value), 0)).toBe(2);
    // Every lease of the fleet lapsed: kept by the guard, but not live (the guard engaged once two of twelve had).
    const fleet = metrics.family('Instances').metrics.filter((m) => m.labels?.service === 'fleet');
    expect(fleet.reduce((sum, m) => sum + Number(m.value), 0)).toBe(0);
  });

  it("shows the fleet's lease guard engaged and its probe guard not", () => {
    expect(metrics.value('ProtectionEngaged', { service: 'fleet', kind: 'lease' })).toBe(1);
    expect(metrics.value('ProtectionEngaged', { service: 'fleet', kind: 'probe' })).toBe(0);
  });

  it('counts change events published and the injected publish failure, and their propagation lag', () => {
    expect(metrics.value('EventsPublished')).toBeGreaterThanOrEqual(15); // 14 registrations + the drain
    expect(metrics.value('PublishFailures')).toBeGreaterThanOrEqual(1);
    const published = metrics.sample('PropagationLag', { stage: 'published' })!;
    expect(Number(published.count)).toBeGreaterThanOrEqual(15);
    const delivered = metrics.sample('PropagationLag', { stage: 'delivered' })!;
    expect(Number(delivered.count)).toBeGreaterThanOrEqual(3); // web-1, web-2 registered, web-1 drained
  });

  it('counts probe outcomes and times the rounds', () => {
    expect(metrics.value('ProbeOutcomes', { outcome: 'passed' })).toBeGreaterThanOrEqual(1);
    expect(metrics.value('ProbeOutcomes', { outcome: 'failed' })).toBeGreaterThanOrEqual(1);
    expect(metrics.value('HealthTransitions')).toBeGreaterThanOrEqual(2);
    const rounds = metrics.sample('ProbeRoundDuration')!;
    expect(Number(rounds.count)).toBeGreaterThanOrEqual(1);
    expect(Number(rounds.sum)).toBeGreaterThan(0);
  });

  it("includes prom-client's default process metrics", () => {
    expect(metrics.family('process_cpu_user_seconds_total').type).toBe('COUNTER');
    expect(metrics.family('nodejs_heap_size_used_bytes').type).toBe('GAUGE');
  });

  it('derives every Prometheus name from the declared one', () => {
    expect(METRIC_NAMES.map(prometheusName)).toEqual(
      expect.arrayContaining(['registry_http_requests_total', 'registry_instances', 'registry_propagation_lag_seconds']),
    );
  });
});
