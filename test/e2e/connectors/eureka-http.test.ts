/** The Eureka REST surface over HTTP, through the local runtime: formats, statuses, metadata, bad input, ownership. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import type { LocalRuntime } from '../../../local/runtime.js';
import { apiClient, eventually, startTestRuntime } from '../../support.js';

const instance = (id: string, extra: object = {}) => ({
  instance: {
    instanceId: id,
    app: 'ORDERS',
    hostName: '10.0.0.5',
    ipAddr: '10.0.0.5',
    port: { $: 8080, '@enabled': 'true' },
    vipAddress: 'orders',
    dataCenterInfo: { '@class': 'com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo', name: 'MyOwn' },
    leaseInfo: { durationInSecs: 30 },
    ...extra,
  },
});

/** A raw Eureka call: `body` is sent as given (string) or as JSON. */
function eureka(base: () => string, token?: string) {
  return async (method: string, path: string, options: { body?: unknown; type?: string; accept?: string } = {}) => {
    const res = await fetch(`${base()}${path}`, {
      method,
      headers: {
        ...(options.body !== undefined && { 'content-type': options.type ?? 'application/json' }),
        ...(options.accept && { accept: options.accept }),
        ...(token && { authorization: `Bearer ${token}` }),
      },
      ...(options.body !== undefined && { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
    });
    const text = await res.text();
    const json = res.headers.get('content-type')?.includes('json') && text ? JSON.parse(text) : undefined;
    return { status: res.status, type: res.headers.get('content-type'), text, json };
  };
}

describe('the Eureka REST surface (open mode)', () => {
  let runtime: LocalRuntime;
  const call = eureka(() => runtime.url);
  const api = () => apiClient(runtime.url);
  const ids = async (service = 'orders') => (await api().discover(service, 'status=all')).body.instances.map((i: { instanceId: string }) => i.instanceId);

  beforeAll(async () => {
    runtime = await startTestRuntime();
  });
  afterAll(async () => {
    await runtime.stop();
  });
  afterEach(async () => {
    for (const id of await ids()) await api().deregister('orders', id);
  });

  it('answers XML by default and JSON when Accept asks, under both roots, with the full-registry hashcode', async () => {
    expect((await call('POST', '/eureka/v2/apps/ORDERS', { body: instance('x1') })).status).toBe(204);
    // The full registry lists services from their counters, which follow from the stream (eventually consistent).
    const xml = await eventually(
      () => call('GET', '/eureka/apps'),
      (r) => r.text.includes('<instanceId>x1</instanceId>'),
    );
    expect(xml.status).toBe(200);
    expect(xml.type).toBe('application/xml');
    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' }).parse(xml.text);
    expect(parsed.applications).toMatchObject({
      apps__hashcode: 'UP_1_',
      application: { name: 'ORDERS', instance: { instanceId: 'x1', port: { '#text': 8080, '@enabled': 'true' } } },
    });
    const json = await call('GET', '/eureka/v2/apps', { accept: 'application/json' });
    expect(json.type).toBe('application/json');
    expect(json.json.applications).toMatchObject({
      apps__hashcode: 'UP_1_',
      application: [{ name: 'ORDERS', instance: [{ instanceId: 'x1', port: { $: 8080, '@enabled': 'true' } }] }],
    });
    // eureka-js-client's default servicePath ends in a slash: the same document.
    expect((await call('GET', '/eureka/v2/apps/', { accept: 'application/json' })).json).toEqual(json.json);
    const app = await call('GET', '/eureka/apps/orders', { accept: 'application/json' });
    expect(app.json.application.instance.map((i: { instanceId: string }) => i.instanceId)).toEqual(['x1']);
    expect((await call('GET', '/eureka/apps/ORDERS/x1', { accept: 'application/json' })).json.instance).toMatchObject({ app: 'ORDERS', status: 'UP' });
    expect((await call('GET', '/eureka/v2/vips/orders', { accept: 'application/json' })).json.applications.application).toHaveLength(1);
    const delta = await call('GET', '/eureka/apps/delta', { accept: 'application/json' });
    expect(delta.json.applications).toMatchObject({ apps__hashcode: 'UP_1_', application: [{ instance: [{ instanceId: 'x1', actionType: 'ADDED' }] }] });
  });

  it('accepts an XML registration', async () => {
    const xml = `<instance><instanceId>x2</instanceId><hostName>10.0.0.6</hostName><app>ORDERS</app><ipAddr>10.0.0.6</ipAddr>
      <port enabled="true">8081</port><vipAddress>orders</vipAddress>
      <dataCenterInfo class="com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo"><name>MyOwn</name></dataCenterInfo></instance>`;
    expect((await call('POST', '/eureka/apps/ORDERS', { body: xml, type: 'application/xml' })).status).toBe(204);
    expect((await api().get('orders', 'x2')).body).toMatchObject({ address: '10.0.0.6', port: 8081, leaseSeconds: 90 });
  });

  it('answers a heartbeat for an unknown or removed instance with 404, so the client registers again', async () => {
    expect((await call('PUT', '/eureka/v2/apps/ORDERS/never')).status).toBe(404);
    await call('POST', '/eureka/v2/apps/ORDERS', { body: instance('x3') });
    expect((await call('PUT', '/eureka/v2/apps/ORDERS/x3?status=UP&lastDirtyTimestamp=1')).status).toBe(200);
    expect((await call('DELETE', '/eureka/v2/apps/ORDERS/x3')).status).toBe(200);
    expect((await call('PUT', '/eureka/v2/apps/ORDERS/x3')).status).toBe(404);
    expect((await call('DELETE', '/eureka/v2/apps/ORDERS/x3')).status).toBe(404);
  });

  it('maps status overrides onto the registry status and back, and hashes them', async () => {
    await call('POST', '/eureka/v2/apps/ORDERS', { body: instance('x4') });
    const eurekaStatus = async () => (await call('GET', '/eureka/v2/apps/ORDERS/x4', { accept: 'application/json' })).json.instance.status;
    expect((await call('PUT', '/eureka/v2/apps/ORDERS/x4/status?value=OUT_OF_SERVICE')).status).toBe(200);
    expect((await api().get('orders', 'x4')).body.status).toBe('DRAINING');
    expect(await eurekaStatus()).toBe('OUT_OF_SERVICE');
    expect((await call('GET', '/eureka/v2/apps', { accept: 'application/json' })).json.applications.apps__hashcode).toBe('OUT_OF_SERVICE_1_');
    // Not routed by default discovery while out of service.
    expect((await api().discover('orders')).body.instances).toEqual([]);
    await call('PUT', '/eureka/v2/apps/ORDERS/x4/status?value=DOWN');
    expect(await eurekaStatus()).toBe('DOWN');
    expect((await call('DELETE', '/eureka/v2/apps/ORDERS/x4/status')).status).toBe(200);
    expect(await eurekaStatus()).toBe('UP');
    expect((await api().get('orders', 'x4')).body).toMatchObject({ status: 'UP', metadata: {} });
    expect((await call('PUT', '/eureka/v2/apps/ORDERS/x4/status?value=SLEEPY')).json.error.details).toEqual([
      expect.objectContaining({ field: 'query.value' }),
    ]);
  });

  it("keeps an operator's status override across the client's re-registrations until it is removed", async () => {
    await call('POST', '/eureka/v2/apps/ORDERS', { body: instance('x7') });
    await call('PUT', '/eureka/v2/apps/ORDERS/x7/status?value=OUT_OF_SERVICE');
    // The client registers again reporting UP (a restart, or its own health turned UP)
    expect((await call('POST', '/eureka/v2/apps/ORDERS', { body: instance('x7', { status: 'UP' }) })).status).toBe(204);
    const shown = async () => (await call('GET', '/eureka/v2/apps/ORDERS/x7', { accept: 'application/json' })).json.instance;
    expect(await shown()).toMatchObject({ status: 'OUT_OF_SERVICE', overriddenStatus: 'OUT_OF_SERVICE' });
    expect((await api().get('orders', 'x7')).body.status).toBe('DRAINING');
    // Removed: UP again, and the next registration's own status counts
    await call('DELETE', '/eureka/v2/apps/ORDERS/x7/status');
    expect(await shown()).toMatchObject({ status: 'UP', overriddenStatus: 'UNKNOWN' });
    await call('POST', '/eureka/v2/apps/ORDERS', { body: instance('x7', { status: 'DOWN' }) });
    expect((await shown()).status).toBe('DOWN');
  });

  it('accepts the registration and heartbeat Spring Cloud Netflix sends, and finds instances by secure VIP', async () => {
    // Modelled on the InstanceInfo JSON Eureka's Java client (which Spring Cloud Netflix uses) writes: fields this
    // registry does not map (countryId, timestamps, secureHealthCheckUrl, …) must be accepted and ignored.
    const spring = {
      instance: {
        instanceId: '10.0.0.7:orders-service:8080',
        hostName: '10.0.0.7',
        app: 'ORDERS',
        ipAddr: '10.0.0.7',
        status: 'UP',
        overriddenStatus: 'UNKNOWN',
        port: { $: 8080, '@enabled': 'true' },
        securePort: { $: 8443, '@enabled': 'true' },
        countryId: 1,
        dataCenterInfo: { '@class': 'com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo', name: 'MyOwn' },
        leaseInfo: {
          renewalIntervalInSecs: 30,
          durationInSecs: 90,
          registrationTimestamp: 0,
          lastRenewalTimestamp: 0,
          evictionTimestamp: 0,
          serviceUpTimestamp: 0,
        },
        metadata: { 'management.port': '8080' },
        homePageUrl: 'http://10.0.0.7:8080/',
        statusPageUrl: 'http://10.0.0.7:8080/actuator/info',
        healthCheckUrl: 'http://10.0.0.7:8080/actuator/health',
        secureHealthCheckUrl: 'https://10.0.0.7:8443/actuator/health',
        vipAddress: 'orders-service',
        secureVipAddress: 'orders-service',
        isCoordinatingDiscoveryServer: 'false',
        lastUpdatedTimestamp: '1700000000000',
        lastDirtyTimestamp: '1700000000000',
      },
    };
    expect((await call('POST', '/eureka/apps/ORDERS', { body: spring })).status).toBe(204);
    expect((await call('PUT', '/eureka/apps/ORDERS/10.0.0.7:orders-service:8080?status=UP&lastDirtyTimestamp=1700000000000')).status).toBe(200);
    const shown = (await call('GET', '/eureka/apps/', { accept: 'application/json' })).json.applications.application[0].instance[0];
    expect(shown).toMatchObject({
      instanceId: '10.0.0.7:orders-service:8080',
      port: { $: 8080, '@enabled': 'true' },
      securePort: { $: 8443, '@enabled': 'true' },
      metadata: { 'management.port': '8080' },
      healthCheckUrl: 'http://10.0.0.7:8080/actuator/health',
      vipAddress: 'orders-service',
      secureVipAddress: 'orders-service',
      leaseInfo: { durationInSecs: 90 },
    });
    const bySecureVip = await call('GET', '/eureka/svips/orders-service', { accept: 'application/json' });
    expect(bySecureVip.json.applications.application[0].instance.map((i: { instanceId: string }) => i.instanceId)).toEqual(['10.0.0.7:orders-service:8080']);
    expect((await call('GET', '/eureka/svips/other', { accept: 'application/json' })).json.applications.application).toEqual([]);
  });

  it('registers a STARTING instance as DRAINING and shows it STARTING', async () => {
    await call('POST', '/eureka/v2/apps/ORDERS', { body: instance('x5', { status: 'STARTING' }) });
    expect((await api().get('orders', 'x5')).body.status).toBe('DRAINING');
    expect((await call('GET', '/eureka/v2/apps/ORDERS/x5', { accept: 'application/json' })).json.instance.status).toBe('STARTING');
  });

  it('adds metadata with PUT …/metadata and refuses reserved keys', async () => {
    await call('POST', '/eureka/v2/apps/ORDERS', { body: instance('x6', { metadata: { a: '1' } }) });
    expect((await call('PUT', '/eureka/v2/apps/ORDERS/x6/metadata?b=2&a=3')).status).toBe(200);
    expect((await api().get('orders', 'x6')).body.metadata).toEqual({ a: '3', b: '2' });
    const reserved = await call('PUT', '/eureka/v2/apps/ORDERS/x6/metadata?eureka.status=UP');
    expect(reserved.status).toBe(400);
    expect(reserved.json.error.details).toEqual([expect.objectContaining({ field: 'query.eureka.status' })]);
  });

  it.each([
    ['malformed JSON', { body: '{"instance":', type: 'application/json' }, 'body'],
    ['malformed XML', { body: '<instance><app>ORDERS</instance>', type: 'application/xml' }, 'body'],
    ['an XML entity declaration', { body: '<!DOCTYPE i [<!ENTITY x "y">]><instance>&x;</instance>', type: 'application/xml' }, 'body'],
    ['an oversize body', { body: JSON.stringify(instance('big', { metadata: { pad: 'x'.repeat(17_000) } })) }, 'body'],
    ['a missing ipAddr', { body: { instance: { ...instance('m').instance, ipAddr: undefined } } }, 'body.instance.ipAddr'],
    ['a missing dataCenterInfo', { body: { instance: { ...instance('m').instance, dataCenterInfo: undefined } } }, 'body.instance.dataCenterInfo'],
    [
      'a link-local address (the metadata service)',
      { body: instance('m', { ipAddr: '169.254.169.254', hostName: '169.254.169.254' }) },
      'body.instance.ipAddr',
    ],
    ['a link-local host name beside an allowed IP', { body: instance('m', { hostName: '169.254.169.254' }) }, 'body.instance.hostName'],
    ['an out-of-range lease', { body: instance('m', { leaseInfo: { durationInSecs: 1 } }) }, 'body.instance.leaseInfo.durationInSecs'],
  ])('refuses %s with a 400 naming the field, changing nothing', async (_name, options, field) => {
    const reply = await call('POST', '/eureka/v2/apps/ORDERS', options);
    expect(reply.status).toBe(400);
    expect(reply.json.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    expect(await ids()).toEqual([]);
  });

  it('answers an app name the registry cannot hold with a 400, and an unknown app with a 404', async () => {
    const bad = await call('POST', '/eureka/v2/apps/MY_APP', { body: instance('m', { app: 'MY_APP' }) });
    expect(bad.status).toBe(400);
    expect(bad.json.error.details).toEqual([expect.objectContaining({ field: 'path.app' })]);
    expect((await call('GET', '/eureka/v2/apps/NOPE')).status).toBe(404);
    expect((await call('GET', '/eureka/v2/apps/NOPE/x')).status).toBe(404);
  });
});

describe('the Eureka REST surface with bearer tokens (auth file)', () => {
  const tokens = {
    'alice-token-0123456789': { principal: 'alice', services: ['orders'], admin: false },
    'bob-token-0123456789ab': { principal: 'bob', services: ['orders'], admin: false },
    'carol-token-0123456789': { principal: 'carol', services: ['payments'], admin: false },
  };
  let runtime: LocalRuntime;
  const as = (token?: string) => eureka(() => runtime.url, token);

  let authDir: string | undefined;
  beforeAll(async () => {
    authDir = mkdtempSync(join(tmpdir(), 'eureka-auth-'));
    const file = join(authDir, 'auth.json');
    writeFileSync(file, JSON.stringify({ tokens }));
    runtime = await startTestRuntime({ authFile: file });
  });
  afterAll(async () => {
    await runtime.stop();
    if (authDir) rmSync(authDir, { recursive: true, force: true });
  });

  it("refuses another principal's changes with 403 and callers without a token with 401", async () => {
    const alice = as('alice-token-0123456789');
    const bob = as('bob-token-0123456789ab');
    expect((await alice('POST', '/eureka/v2/apps/ORDERS', { body: instance('owned') })).status).toBe(204);
    for (const [method, path] of [
      ['DELETE', '/eureka/v2/apps/ORDERS/owned'],
      ['PUT', '/eureka/v2/apps/ORDERS/owned/status?value=OUT_OF_SERVICE'],
      ['PUT', '/eureka/v2/apps/ORDERS/owned'],
      ['PUT', '/eureka/apps/ORDERS/owned/metadata?a=b'],
    ] as const) {
      expect([method, path, (await bob(method, path)).status]).toEqual([method, path, 403]);
    }
    expect((await bob('POST', '/eureka/v2/apps/ORDERS', { body: instance('owned') })).status).toBe(403);
    expect((await as('carol-token-0123456789')('POST', '/eureka/v2/apps/ORDERS', { body: instance('c1') })).status).toBe(403);
    expect((await as()('GET', '/eureka/v2/apps')).status).toBe(401);
    // Nothing changed: still alice's, still UP.
    expect((await alice('GET', '/eureka/v2/apps/ORDERS/owned', { accept: 'application/json' })).json.instance.status).toBe('UP');
    expect((await alice('DELETE', '/eureka/v2/apps/ORDERS/owned')).status).toBe(200);
  });

  it('lets eureka-js-client send its bearer token through requestMiddleware', async () => {
    const require = createRequire(import.meta.url);
    const { Eureka } = require('eureka-js-client');
    const url = new URL(runtime.url);
    const client = new Eureka({
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      requestMiddleware: (request: { headers?: Record<string, string> }, done: (r: object) => void) =>
        done({ ...request, headers: { ...request.headers, authorization: 'Bearer alice-token-0123456789' } }),
      instance: instance('js-1').instance,
      eureka: {
        host: url.hostname,
        port: Number(url.port),
        servicePath: '/eureka/v2/apps',
        fetchRegistry: true,
        heartbeatInterval: 60_000,
        registryFetchInterval: 60_000,
        maxRetries: 0,
      },
    });
    await new Promise<void>((resolve, reject) => client.start((error?: Error) => (error ? reject(error) : resolve())));
    // The full registry the client fetches lists services from their counters, which follow from the stream
    // (eventually consistent): fetch again until the registration shows.
    const fetched = await eventually(
      async () => {
        await new Promise<void>((resolve) => client.fetchRegistry(() => resolve()));
        return client.getInstancesByAppId('ORDERS').map((i: { instanceId: string }) => i.instanceId);
      },
      (ids: string[]) => ids.length > 0,
    );
    expect(fetched).toEqual(['js-1']);
    await new Promise<void>((resolve, reject) => client.stop((error?: Error) => (error ? reject(error) : resolve())));
    expect((await apiClient(runtime.url, 'alice-token-0123456789').get('orders', 'js-1')).status).toBe(404);
  });
});
