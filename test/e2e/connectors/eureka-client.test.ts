/**
 * The Eureka connector with real third-party clients, unchanged: Netflix's eureka-js-client (npm) registers,
 * heartbeats, fetches the registry and its deltas, finds instances by app and VIP and deregisters on stop, while the
 * registry's own discovery and SSE feed see the same instances; and Prometheus' `eureka_sd_configs` (Debian's
 * binary, which reads XML from `<server>/apps`) turns them into targets with `__meta_eureka_*` labels.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalRuntime } from '../../../local/runtime.js';
import { apiClient, startTestRuntime, subscribe } from '../../support.js';
import { startPrometheus, waitForTargets } from './prometheus-server.js';

const require = createRequire(import.meta.url);
// eureka-js-client is CommonJS; its own typings are not shipped, so it is typed here by what the test uses.
interface EurekaClient {
  start(callback: (error?: Error) => void): void;
  stop(callback: (error?: Error) => void): void;
  on(event: 'registered' | 'heartbeat' | 'registryUpdated' | 'deregistered', listener: () => void): void;
  getInstancesByAppId(appId: string): Array<{ instanceId: string; hostName: string; port: { $: number }; status: string; vipAddress: string }>;
  getInstancesByVipAddress(vip: string): Array<{ instanceId: string }>;
}
const { Eureka } = require('eureka-js-client') as { Eureka: new (config: object) => EurekaClient };

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

let runtime: LocalRuntime;
/** Every request the runtime served, as `METHOD /path` (the proof that deltas were fetched). */
const served: string[] = [];

beforeAll(async () => {
  runtime = await startTestRuntime({ onRequest: ({ method, path }) => served.push(`${method} ${path}`) });
});
afterAll(async () => {
  await runtime.stop();
});

/** A client as its README configures one, pointed at the registry; `servicePath` without the trailing slash. */
function eurekaClient(instance: object | undefined, eureka: object = {}): EurekaClient {
  const url = new URL(runtime.url);
  return new Eureka({
    logger: quiet,
    shouldUseDelta: true,
    ...(instance && { instance }),
    eureka: {
      host: url.hostname,
      port: Number(url.port),
      servicePath: '/eureka/v2/apps',
      heartbeatInterval: 300,
      registryFetchInterval: 300,
      maxRetries: 0,
      registerWithEureka: instance !== undefined,
      fetchRegistry: true,
      ...eureka,
    },
  });
}

const start = (client: EurekaClient) => new Promise<void>((resolve, reject) => client.start((error) => (error ? reject(error) : resolve())));
const stop = (client: EurekaClient) => new Promise<void>((resolve, reject) => client.stop((error) => (error ? reject(error) : resolve())));
const next = (client: EurekaClient, event: 'registered' | 'heartbeat' | 'registryUpdated') => new Promise<void>((resolve) => client.on(event, resolve));

/** Polls `check` until it returns true (for state a client reaches on its own schedule). */
async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`never happened within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const instanceOf = (id: string, port: number, extra: object = {}) => ({
  instanceId: id,
  app: 'ORDERS',
  hostName: '127.0.0.1',
  ipAddr: '127.0.0.1',
  port: { $: port, '@enabled': true },
  vipAddress: 'orders.vip',
  dataCenterInfo: { '@class': 'com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo', name: 'MyOwn' },
  leaseInfo: { durationInSecs: 10 },
  ...extra,
});

describe('eureka-js-client against the registry', () => {
  it('registers, heartbeats, is found by app and VIP through registry and delta fetches, and deregisters on stop — as native discovery and the SSE feed see it', async () => {
    const api = apiClient(runtime.url);
    const events = await subscribe(runtime.url, 'service=orders');
    const service = eurekaClient(instanceOf('orders-a', 18080, { metadata: { build: '42' } }));
    const gateway = eurekaClient(undefined);
    try {
      // WHEN the service's client starts: it registers (204) and fetches the full registry
      await start(service);
      // THEN the registry's own discovery and event feed see the instance as Eureka described it
      const native = await api.discover('orders');
      expect(native.body.instances).toEqual([
        expect.objectContaining({
          instanceId: 'orders-a',
          address: '127.0.0.1',
          port: 18080,
          tags: ['vip:orders.vip'],
          metadata: { build: '42' },
          leaseSeconds: 10,
          status: 'UP',
        }),
      ]);
      const registered = await events.next((m) => m.event === 'Instance Registered');
      expect(registered.data.detail).toMatchObject({ service: 'orders', instanceId: 'orders-a' });

      // AND its heartbeats renew the lease (PUT /apps/ORDERS/orders-a → 200)
      const before = native.body.instances[0].leaseExpiresAt as string;
      await next(service, 'heartbeat');
      await next(service, 'heartbeat');
      expect(Date.parse((await api.get('orders', 'orders-a')).body.leaseExpiresAt)).toBeGreaterThan(Date.parse(before));

      // WHEN a gateway's client (fetch only) starts, and an instance is then registered natively
      await start(gateway);
      expect(gateway.getInstancesByAppId('orders').map((i) => i.instanceId)).toEqual(['orders-a']);
      const deltasBefore = served.filter((line) => line.startsWith('GET /eureka/v2/apps/delta')).length;
      expect((await api.register('orders', 'orders-native', { address: '127.0.0.2', port: 9090, leaseSeconds: 30 })).status).toBe(201);

      // THEN the gateway learns of it through a delta fetch (it fetches the full registry only once), by app and VIP
      await until('the natively registered instance reaches the client', () => gateway.getInstancesByAppId('ORDERS').length === 2);
      expect(served.filter((line) => line.startsWith('GET /eureka/v2/apps/delta')).length).toBeGreaterThan(deltasBefore);
      expect(
        gateway
          .getInstancesByAppId('ORDERS')
          .map((i) => [i.instanceId, i.status, i.port.$])
          .sort(),
      ).toEqual([
        ['orders-a', 'UP', 18080],
        ['orders-native', 'UP', 9090],
      ]);
      expect(gateway.getInstancesByVipAddress('orders.vip').map((i) => i.instanceId)).toEqual(['orders-a']);
      // A native instance has no VIP tag: its VIP is its service name, as Spring Cloud sets it.
      expect(gateway.getInstancesByVipAddress('orders').map((i) => i.instanceId)).toEqual(['orders-native']);

      // WHEN the service's client stops: it deregisters (DELETE → 200)
      await stop(service);
      // THEN it is gone for native discovery and the feed says so
      expect((await api.discover('orders')).body.instances.map((i: { instanceId: string }) => i.instanceId)).toEqual(['orders-native']);
      const gone = await events.next((m) => m.event === 'Instance Deregistered' && m.data.detail.instanceId === 'orders-a');
      expect(gone.data.detail).toMatchObject({ service: 'orders', reason: 'deregistered' });
    } finally {
      events.close();
      await stop(gateway).catch(() => undefined);
      await api.deregister('orders', 'orders-native');
    }
  });

  it("loses a removed instance on its next fetch with shouldUseDelta false (full fetches), the README's advice when removals matter", async () => {
    const api = apiClient(runtime.url);
    expect((await api.register('orders', 'orders-gone', { address: '127.0.0.5', port: 9091, leaseSeconds: 30 })).status).toBe(201);
    const gateway = new Eureka({
      logger: quiet,
      eureka: {
        host: new URL(runtime.url).hostname,
        port: Number(new URL(runtime.url).port),
        registerWithEureka: false,
        registryFetchInterval: 300,
        maxRetries: 0,
      },
    });
    try {
      // eureka-js-client's defaults otherwise: servicePath '/eureka/v2/apps/' (trailing slash), shouldUseDelta false
      await start(gateway);
      expect(gateway.getInstancesByAppId('ORDERS').map((i) => i.instanceId)).toEqual(['orders-gone']);
      await api.deregister('orders', 'orders-gone');
      await until('the removed instance leaves the client', () => gateway.getInstancesByAppId('ORDERS').length === 0);
    } finally {
      await stop(gateway);
    }
  });

  it('registers again when a heartbeat answers 404 (the instance was removed behind its back)', async () => {
    const api = apiClient(runtime.url);
    const client = eurekaClient(instanceOf('orders-b', 18081), { fetchRegistry: false });
    try {
      await start(client);
      // WHEN the instance is removed outside the client (an operator, or its lease ran out)
      expect((await api.deregister('orders', 'orders-b')).status).toBe(204);
      const again = next(client, 'registered');
      // THEN its next heartbeat gets 404 and the client registers again, unchanged
      await again;
      expect((await api.get('orders', 'orders-b')).body).toMatchObject({ instanceId: 'orders-b', port: 18081 });
      expect(served).toContain('PUT /eureka/v2/apps/ORDERS/orders-b');
    } finally {
      await stop(client);
    }
  });
});

describe("Prometheus' eureka_sd_configs against the registry", () => {
  it('turns registered instances into targets with __meta_eureka_* labels, from the XML it reads at <server>/apps', async () => {
    const api = apiClient(runtime.url);
    const client = eurekaClient(instanceOf('orders-p', 18082, { metadata: { build: '7' } }), { fetchRegistry: false });
    await start(client);
    expect((await api.register('payments', 'pay-1', { address: '127.0.0.3', port: 9100, zone: 'z1', metadata: { team: 'billing' } })).status).toBe(201);
    const prometheus = await startPrometheus({
      global: { scrape_interval: '1s' },
      scrape_configs: [{ job_name: 'eureka', eureka_sd_configs: [{ server: `${runtime.url}/eureka`, refresh_interval: '1s' }] }],
    });
    try {
      const targets = await waitForTargets(prometheus, (list) => list.length === 2);
      const labels = Object.fromEntries(targets.map((t) => [t.discoveredLabels.__meta_eureka_app_instance_id, t.discoveredLabels]));
      expect(labels['orders-p']).toMatchObject({
        __address__: '127.0.0.1:18082',
        __meta_eureka_app_name: 'ORDERS',
        __meta_eureka_app_instance_hostname: '127.0.0.1',
        __meta_eureka_app_instance_ip_addr: '127.0.0.1',
        __meta_eureka_app_instance_status: 'UP',
        __meta_eureka_app_instance_port: '18082',
        __meta_eureka_app_instance_port_enabled: 'true',
        __meta_eureka_app_instance_vip_address: 'orders.vip',
        __meta_eureka_app_instance_datacenterinfo_name: 'MyOwn',
        __meta_eureka_app_instance_metadata_build: '7',
      });
      expect(labels['pay-1']).toMatchObject({
        __address__: '127.0.0.3:9100',
        __meta_eureka_app_name: 'PAYMENTS',
        __meta_eureka_app_instance_metadata_team: 'billing',
      });
      expect(served).toContain('GET /eureka/apps');
    } finally {
      await prometheus.stop();
      await stop(client);
      await api.deregister('payments', 'pay-1');
    }
  });
});

describe("Prometheus' eureka_sd_configs with a bearer token", () => {
  it('discovers through a runtime that requires tokens, sending its token with `authorization.credentials`', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eureka-prometheus-'));
    const file = join(dir, 'auth.json');
    const tokens = {
      'writer-token-0123456789': { principal: 'orders-team', services: ['orders'] },
      'scraper-token-0123456789': { principal: 'prometheus', services: [], read: ['*'] },
    };
    writeFileSync(file, JSON.stringify({ tokens }));
    const secured = await startTestRuntime({ authFile: file });
    const prometheus = await startPrometheus({
      global: { scrape_interval: '1s' },
      scrape_configs: [
        {
          job_name: 'eureka',
          eureka_sd_configs: [{ server: `${secured.url}/eureka`, refresh_interval: '1s', authorization: { credentials: 'scraper-token-0123456789' } }],
        },
      ],
    });
    try {
      expect((await apiClient(secured.url, 'writer-token-0123456789').register('orders', 'o-1', { address: '127.0.0.4', port: 9200 })).status).toBe(201);
      const [target] = await waitForTargets(prometheus, (list) => list.length === 1);
      expect(target!.discoveredLabels).toMatchObject({ __address__: '127.0.0.4:9200', __meta_eureka_app_name: 'ORDERS', __meta_eureka_app_instance_id: 'o-1' });
    } finally {
      await prometheus.stop();
      await secured.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
