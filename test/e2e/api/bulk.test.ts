/**
 * Black-box tests of the bulk routes (`PUT /v1/services/{service}/instances`, `POST /v1/services/{service}/heartbeats`)
 * through the local runtime over HTTP: per-item outcomes beside each other, the single routes' rules applied to each
 * item (validation, address policy, ownership), one change event per item, and whole-request refusals that change
 * nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalRuntime } from '../../../local/runtime.js';
import { apiClient, eventually, startTestRuntime, subscribe } from '../../support.js';

const tokens = {
  'alice-token-0123456789': { principal: 'alice', services: ['orders', 'batch', 'tally'], admin: false },
  'bob-token-0123456789ab': { principal: 'bob', services: ['orders'], admin: false },
  'carol-token-0123456789': { principal: 'carol', services: ['payments'], admin: false },
};
const dir = mkdtempSync(join(tmpdir(), 'registry-auth-'));
const authFile = join(dir, 'auth.json');
writeFileSync(authFile, JSON.stringify({ tokens }));

let runtime: LocalRuntime;
const alice = () => apiClient(runtime.url, 'alice-token-0123456789');
const bob = () => apiClient(runtime.url, 'bob-token-0123456789ab');
const carol = () => apiClient(runtime.url, 'carol-token-0123456789');
const registerMany = (api: ReturnType<typeof apiClient>, service: string, body: unknown) => api.call('PUT', `/v1/services/${service}/instances`, body);
const heartbeatMany = (api: ReturnType<typeof apiClient>, service: string, body: unknown) => api.call('POST', `/v1/services/${service}/heartbeats`, body);
const item = (instanceId: string, extra: Record<string, unknown> = {}) => ({ instanceId, address: '10.0.0.1', port: 8080, leaseSeconds: 30, ...extra });

beforeAll(async () => {
  runtime = await startTestRuntime({ authFile });
});
afterAll(async () => {
  await runtime.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('PUT /v1/services/{service}/instances', () => {
  it('answers 200 with one result per item, in order, when every item is registered (201 new, 200 replaced)', async () => {
    // GIVEN one instance already registered
    expect((await alice().register('orders', 'ok-2', { address: '10.0.0.2', port: 80 })).status).toBe(201);
    // WHEN it and a new one are registered in one request
    const reply = await registerMany(alice(), 'orders', { instances: [item('ok-1', { tags: ['v2'] }), item('ok-2')] });
    // THEN both are answered, the new one created, the existing one replaced, each with its record
    expect(reply.status).toBe(200);
    expect(reply.body.service).toBe('orders');
    expect(reply.body.results).toEqual([
      { instanceId: 'ok-1', status: 201, instance: expect.objectContaining({ instanceId: 'ok-1', tags: ['v2'], weight: 100, protocol: 'http' }) },
      { instanceId: 'ok-2', status: 200, instance: expect.objectContaining({ instanceId: 'ok-2', address: '10.0.0.1', port: 8080 }) },
    ]);
    expect((await alice().get('orders', 'ok-1')).body).toMatchObject({ leaseSeconds: 30, tags: ['v2'] });
  });

  it('answers 207 with each item judged on its own: a bad field, a refused address and a foreign instance fail alone', async () => {
    // GIVEN an instance bob owns
    expect((await bob().register('orders', 'bobs', { address: '10.0.0.9', port: 80 })).status).toBe(201);
    // WHEN alice registers a good item beside a bad port, the metadata address and bob's instance
    const reply = await registerMany(alice(), 'orders', {
      instances: [item('mixed-ok'), item('mixed-port', { port: 70_000 }), item('mixed-ssrf', { address: '169.254.169.254' }), item('bobs')],
    });
    // THEN the good one is registered and each other answers what the single route would
    expect(reply.status).toBe(207);
    const [ok, port, ssrf, foreign] = reply.body.results;
    expect(ok).toMatchObject({ instanceId: 'mixed-ok', status: 201, instance: { instanceId: 'mixed-ok' } });
    expect(port).toMatchObject({
      instanceId: 'mixed-port',
      status: 400,
      error: { code: 'VALIDATION_FAILED', details: [{ field: 'body.instances.1.port', message: expect.any(String) }] },
    });
    expect(ssrf).toMatchObject({ instanceId: 'mixed-ssrf', status: 400, error: { details: [{ field: 'body.instances.2.address' }] } });
    expect(foreign).toMatchObject({ instanceId: 'bobs', status: 403, error: { code: 'FORBIDDEN' } });
    // AND only the good one exists; bob's is untouched
    expect((await alice().get('orders', 'mixed-ok')).status).toBe(200);
    expect((await alice().get('orders', 'mixed-port')).status).toBe(404);
    expect((await alice().get('orders', 'mixed-ssrf')).status).toBe(404);
    expect((await bob().get('orders', 'bobs')).body).toMatchObject({ address: '10.0.0.9', port: 80 });
  });

  it('publishes one change event per registered item, and none for a refused one', async () => {
    const feed = await subscribe(runtime.url, 'service=batch', { authorization: 'Bearer alice-token-0123456789' });
    try {
      const reply = await registerMany(alice(), 'batch', { instances: [item('ev-1'), item('ev-bad', { weight: -1 }), item('ev-2')] });
      expect(reply.status).toBe(207);
      const revisions = Object.fromEntries(reply.body.results.filter((r: any) => r.instance).map((r: any) => [r.instanceId, r.instance.revision]));
      const seen = [await feed.next((m) => m.event === 'Instance Registered'), await feed.next((m) => m.event === 'Instance Registered')];
      expect(seen.map((m) => m.data.detail.instanceId).sort()).toEqual(['ev-1', 'ev-2']);
      for (const m of seen) expect(m.data.detail.revision).toBe(revisions[m.data.detail.instanceId]);
      // A later single write's event follows directly: nothing was published for the refused item in between.
      await alice().patch('batch', 'ev-1', { weight: 5 });
      expect((await feed.next()).data.detail).toMatchObject({ instanceId: 'ev-1', changed: ['weight'] });
    } finally {
      feed.close();
    }
  });

  it('counts the registered items in the service list', async () => {
    await alice().register('tally', 'count-0', { address: '10.0.0.1', port: 80 });
    await registerMany(alice(), 'tally', { instances: [item('count-0'), item('count-1'), item('count-2'), item('count-3', { address: '169.254.1.1' })] });
    // The counters follow from the stream (eventually consistent): read until they settle on the expected value.
    const tally = async () => (await alice().services()).body.services.find((s: any) => s.service === 'tally');
    const listed = await eventually(tally, (s) => s?.total === 3 && s?.healthy === 3);
    // count-0 replaced (no change), count-1 and count-2 new, count-3 refused.
    expect(listed).toEqual({ service: 'tally', total: 3, healthy: 3 });
  });

  it.each([
    ['no items', 'body.instances', { instances: [] }],
    ['more than 100 items', 'body.instances', { instances: Array.from({ length: 101 }, (_, i) => ({ instanceId: `n-${i}` })) }],
    ['an id given twice', 'body.instances.1', { instances: [item('dup'), item('dup')] }],
    ['an item without an id', 'body.instances.1.instanceId', { instances: [item('fine'), { address: '10.0.0.1', port: 80 }] }],
    ['a malformed id', 'body.instances.1.instanceId', { instances: [item('fine'), item('no spaces')] }],
    ['an unknown top-level field', 'body.extra', { instances: [item('fine')], extra: 1 }],
  ])('refuses %s with 400 naming %s, and registers nothing', async (_name, field, body) => {
    const reply = await registerMany(alice(), 'orders', body);
    expect(reply.status).toBe(400);
    expect(reply.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    expect((await alice().get('orders', 'fine')).status).toBe(404);
    expect((await alice().get('orders', 'dup')).status).toBe(404);
  });

  it("accepts up to 16 KB per item, more than a single registration's body, and refuses a body over 100 × 16 KB", async () => {
    // GIVEN 100 items at the largest a registration allows (32 tags of 128 characters, ~4 KB of metadata): ~850 KB,
    // far over the single route's 16 KB
    const metadata = Object.fromEntries(Array.from({ length: 4 }, (_, k) => [`k${k}`, 'v'.repeat(1000)]));
    const tags = Array.from({ length: 32 }, (_, k) => `${k}`.padEnd(128, 't'));
    const big = Array.from({ length: 100 }, (_, i) => item(`big-${i}`, { metadata, tags }));
    // WHEN it is registered in one request THEN every item is
    const reply = await registerMany(alice(), 'batch', { instances: big });
    expect(reply.status).toBe(200);
    expect(reply.body.results.every((r: { status: number }) => r.status === 201)).toBe(true);
    // WHEN a body is over 1.6 MB THEN it is a 400 naming the body, and nothing is written
    const huge = Array.from({ length: 100 }, (_, i) => item(`huge-${i}`, { metadata: { blob: 'x'.repeat(17_000) } }));
    const refused = await registerMany(alice(), 'batch', { instances: huge });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details[0]).toMatchObject({ field: 'body', message: expect.stringMatching(/at most 1638400 are accepted/) });
    expect((await alice().get('batch', 'huge-0')).status).toBe(404);
  });

  it('refuses a body that is not JSON with 400', async () => {
    const reply = await alice().call('PUT', '/v1/services/orders/instances', '{"instances": [', { 'content-type': 'application/json' });
    expect(reply.status).toBe(400);
    expect(reply.body.error.details).toEqual([expect.objectContaining({ field: 'body' })]);
  });

  it('refuses a bad service name with 400 and a caller who may not write the service with 403, registering nothing', async () => {
    expect((await registerMany(alice(), 'Orders', { instances: [item('x')] })).status).toBe(400);
    const refused = await registerMany(carol(), 'orders', { instances: [item('carols')] });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('FORBIDDEN');
    expect((await alice().get('orders', 'carols')).status).toBe(404);
  });
});

describe('POST /v1/services/{service}/heartbeats', () => {
  it('renews every lease with 200, one result per id with its new expiry', async () => {
    await registerMany(alice(), 'orders', { instances: [item('hb-1'), item('hb-2')] });
    const before = (await alice().get('orders', 'hb-1')).body.leaseExpiresAt;
    await new Promise((resolve) => setTimeout(resolve, 20));
    const reply = await heartbeatMany(alice(), 'orders', { instanceIds: ['hb-1', 'hb-2'] });
    expect(reply.status).toBe(200);
    expect(reply.body.results).toEqual([
      { instanceId: 'hb-1', status: 200, leaseExpiresAt: expect.any(String), revision: expect.any(Number) },
      { instanceId: 'hb-2', status: 200, leaseExpiresAt: expect.any(String), revision: expect.any(Number) },
    ]);
    expect(Date.parse(reply.body.results[0].leaseExpiresAt)).toBeGreaterThan(Date.parse(before));
    expect((await alice().get('orders', 'hb-1')).body.leaseExpiresAt).toBe(reply.body.results[0].leaseExpiresAt);
  });

  it("answers 207 with 404 for a missing instance, 403 for someone else's and 409 for a probe-driven one, renewing the rest", async () => {
    await bob().register('orders', 'hb-bobs', { address: '10.0.0.9', port: 80, leaseSeconds: 30 });
    await alice().register('orders', 'hb-probed', { address: '10.0.0.3', port: 80, healthCheck: { type: 'tcp' } });
    await alice().register('orders', 'hb-live', { address: '10.0.0.3', port: 80, leaseSeconds: 30 });
    const reply = await heartbeatMany(alice(), 'orders', { instanceIds: ['hb-missing', 'hb-bobs', 'hb-probed', 'hb-live'] });
    expect(reply.status).toBe(207);
    expect(reply.body.results.map((r: any) => [r.instanceId, r.status, r.error?.code])).toEqual([
      ['hb-missing', 404, 'INSTANCE_NOT_FOUND'],
      ['hb-bobs', 403, 'FORBIDDEN'],
      ['hb-probed', 409, 'CONFLICT'],
      ['hb-live', 200, undefined],
    ]);
  });

  it.each([
    ['no ids', 'body.instanceIds', { instanceIds: [] }],
    ['more than 100 ids', 'body.instanceIds', { instanceIds: Array.from({ length: 101 }, (_, i) => `n-${i}`) }],
    ['an id given twice', 'body.instanceIds.1', { instanceIds: ['hb-1', 'hb-1'] }],
    ['a malformed id', 'body.instanceIds.1', { instanceIds: ['hb-1', 'bad id'] }],
  ])('refuses %s with 400 naming %s, and renews nothing', async (_name, field, body) => {
    await alice().register('orders', 'hb-1', { address: '10.0.0.1', port: 80, leaseSeconds: 30 });
    const before = (await alice().get('orders', 'hb-1')).body.leaseExpiresAt;
    await new Promise((resolve) => setTimeout(resolve, 20));
    const reply = await heartbeatMany(alice(), 'orders', body);
    expect(reply.status).toBe(400);
    expect(reply.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    expect((await alice().get('orders', 'hb-1')).body.leaseExpiresAt).toBe(before);
  });

  it('refuses a caller who may not write the service with 403', async () => {
    const reply = await heartbeatMany(carol(), 'orders', { instanceIds: ['hb-1'] });
    expect(reply.status).toBe(403);
  });
});
