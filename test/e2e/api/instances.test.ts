/** Black-box tests of the instance routes, through the local runtime over HTTP. */
import type { LocalRuntime } from '../../../local/runtime.js';
import { routes } from '../../../lambdas/routes.js';
import { apiClient, eventually, sleep, startTestRuntime } from '../../support.js';

let runtime: LocalRuntime;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  runtime = await startTestRuntime();
  api = apiClient(runtime.url);
});
afterAll(async () => {
  await runtime.stop();
});

const base = { address: '10.0.0.1', port: 8080 };

describe('PUT /v1/services/{service}/instances/{instanceId}', () => {
  it('creates with 201 and returns the full record with defaults', async () => {
    const res = await api.register('orders', 'create-1', { ...base, zone: 'eu-west-1a', tags: ['v2'], metadata: { build: '42' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      service: 'orders',
      instanceId: 'create-1',
      address: '10.0.0.1',
      port: 8080,
      protocol: 'http',
      zone: 'eu-west-1a',
      weight: 100,
      tags: ['v2'],
      metadata: { build: '42' },
      status: 'UP',
      health: 'passing',
      leaseSeconds: 30,
    });
    expect(Date.parse(res.body.leaseExpiresAt) - Date.parse(res.body.registeredAt)).toBe(30_000);
    expect(res.body.revision).toBeGreaterThan(0);
    expect(res.body).not.toHaveProperty('owner');
  });

  it('replaces with 200, bumps the revision and drops fields the new registration leaves out', async () => {
    const first = await api.register('orders', 'replace-1', { ...base, zone: 'a', weight: 5 });
    const second = await api.register('orders', 'replace-1', { ...base, port: 9090 });
    expect(second.status).toBe(200);
    expect(second.body.revision).toBe(first.body.revision + 1);
    expect(second.body.port).toBe(9090);
    expect(second.body.weight).toBe(100);
    expect(second.body).not.toHaveProperty('zone');
  });

  it('registers out of rotation with status DRAINING in the one write, and rejects an unknown status', async () => {
    const res = await api.register('warming', 'w-1', { ...base, status: 'DRAINING' });
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('DRAINING');
    expect((await api.discover('warming')).body.instances).toEqual([]);
    const all = (await api.discover('warming', 'status=all')).body;
    expect(all.instances.map((i: { instanceId: string; status: string; revision: number }) => [i.instanceId, i.status, i.revision])).toEqual([
      ['w-1', 'DRAINING', res.body.revision],
    ]);

    const bad = await api.register('warming', 'w-2', { ...base, status: 'STARTING' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.error.details)).toContain('body.status');
    expect((await api.get('warming', 'w-2')).status).toBe(404);
  });

  it('makes an instance probe-driven when it has a health check and no lease', async () => {
    const res = await api.register('orders', 'probe-1', { ...base, healthCheck: { type: 'http' } });
    expect(res.status).toBe(201);
    expect(res.body.health).toBe('unknown');
    expect(res.body).not.toHaveProperty('leaseSeconds');
    expect(res.body).not.toHaveProperty('leaseExpiresAt');
    expect(res.body.healthCheck).toEqual({
      type: 'http',
      path: '/health',
      intervalSeconds: 10,
      timeoutSeconds: 2,
      healthyThreshold: 2,
      unhealthyThreshold: 3,
      deregisterCriticalAfterSeconds: 600,
    });
  });

  it('ends 200 concurrent registers of one id with exactly one 201', async () => {
    const replies = await Promise.all(Array.from({ length: 200 }, (_, i) => api.register('race', 'one', { ...base, port: 1000 + i })));
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(199);
    const revisions = replies.map((r) => r.body.revision).sort((a, b) => a - b);
    expect(new Set(revisions).size).toBe(200);
    expect(revisions[199] - revisions[0]).toBe(199);
    const final = await api.get('race', 'one');
    expect(final.body.revision).toBe(revisions[199]);
    // The counters follow from the stream (eventually consistent); 200 replacements add up to one instance.
    const race = (r: any) => r.body.services?.some((s: any) => s.service === 'race' && s.total === 1 && s.healthy === 1);
    const services = await eventually(() => api.services(), race);
    expect(services.body.services).toContainEqual({ service: 'race', total: 1, healthy: 1 });
  });
});

describe('GET /v1/services/{service}/instances/{instanceId}', () => {
  it('returns 404 with the error shape for an unknown instance', async () => {
    const res = await api.get('orders', 'nope');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('INSTANCE_NOT_FOUND');
    expect(res.body.error.message).toContain('nope');
  });

  it('returns 404 once the lease has expired, though the item is still in the table', async () => {
    await api.register('orders', 'short', { ...base, leaseSeconds: 2 });
    expect((await api.get('orders', 'short')).status).toBe(200);
    await sleep(2100);
    expect((await api.get('orders', 'short')).status).toBe(404);
    expect((await api.heartbeat('orders', 'short')).status).toBe(404);
    expect((await api.patch('orders', 'short', { weight: 1 })).status).toBe(404);
    const again = await api.register('orders', 'short', { ...base, leaseSeconds: 2 });
    expect(again.status).toBe(201);
  });
});

describe('PATCH /v1/services/{service}/instances/{instanceId}', () => {
  it('changes status, weight, metadata and tags and bumps the revision', async () => {
    const created = await api.register('orders', 'patch-1', base);
    const res = await api.patch('orders', 'patch-1', { status: 'DRAINING', weight: 7, metadata: { a: 'b' }, tags: ['x'] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'DRAINING', weight: 7, metadata: { a: 'b' }, tags: ['x'], revision: created.body.revision + 1 });
    expect((await api.get('orders', 'patch-1')).body).toMatchObject({ status: 'DRAINING', weight: 7, revision: created.body.revision + 1 });
  });

  it('refuses an empty patch with 400', async () => {
    await api.register('orders', 'patch-2', base);
    const res = await api.patch('orders', 'patch-2', {});
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
  });
});

describe('POST .../heartbeat', () => {
  it('renews the lease without changing the revision', async () => {
    const created = await api.register('orders', 'hb-1', { ...base, leaseSeconds: 10 });
    await sleep(20);
    const res = await api.heartbeat('orders', 'hb-1');
    expect(res.status).toBe(200);
    expect(res.body.revision).toBe(created.body.revision);
    expect(Date.parse(res.body.leaseExpiresAt)).toBeGreaterThan(Date.parse(created.body.leaseExpiresAt));
    const after = await api.get('orders', 'hb-1');
    expect(after.body.leaseExpiresAt).toBe(res.body.leaseExpiresAt);
    expect(after.body.updatedAt).toBe(created.body.updatedAt);
  });

  it('keeps an instance alive past its first lease while heartbeats arrive', async () => {
    await api.register('orders', 'hb-2', { ...base, leaseSeconds: 2 });
    for (let i = 0; i < 3; i++) {
      await sleep(900);
      expect((await api.heartbeat('orders', 'hb-2')).status).toBe(200);
    }
    expect((await api.get('orders', 'hb-2')).status).toBe(200);
  });

  it('answers 409 for a probe-driven instance, which has no lease', async () => {
    await api.register('orders', 'hb-probe', { ...base, healthCheck: { type: 'tcp' } });
    const res = await api.heartbeat('orders', 'hb-probe');
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('CONFLICT');
  });

  it('never brings back an instance deleted while heartbeats race the delete', async () => {
    await api.register('orders', 'hb-race', { ...base, leaseSeconds: 30 });
    const beats = Array.from({ length: 30 }, () => api.heartbeat('orders', 'hb-race'));
    const deleted = api.deregister('orders', 'hb-race');
    const results = await Promise.all([...beats, deleted]);
    expect(results.every((r) => r.status === 200 || r.status === 404 || r.status === 204)).toBe(true);
    expect((await api.get('orders', 'hb-race')).status).toBe(404);
    expect((await api.heartbeat('orders', 'hb-race')).status).toBe(404);
  });
});

describe('DELETE /v1/services/{service}/instances/{instanceId}', () => {
  it('answers 204, then 404 on a repeat', async () => {
    await api.register('orders', 'del-1', base);
    expect((await api.deregister('orders', 'del-1')).status).toBe(204);
    expect((await api.deregister('orders', 'del-1')).status).toBe(404);
    expect((await api.get('orders', 'del-1')).status).toBe(404);
  });

  it('gives a re-created instance a revision above every earlier one', async () => {
    const first = await api.register('orders', 'del-2', base);
    const patched = await api.patch('orders', 'del-2', { weight: 1 });
    await api.deregister('orders', 'del-2');
    const again = await api.register('orders', 'del-2', base);
    expect(again.status).toBe(201);
    expect(again.body.revision).toBeGreaterThan(patched.body.revision);
    expect(patched.body.revision).toBeGreaterThan(first.body.revision);
  });
});

describe('routing', () => {
  it('answers 404 for an unknown path and 405 for a known path with another method', async () => {
    const unknown = await api.call('GET', '/v2/nothing');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('ROUTE_NOT_FOUND');
    const method = await api.call('POST', '/v1/services');
    expect(method.status).toBe(405);
    expect(method.body.error.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('serves its own liveness and an OpenAPI 3.1 document covering every route', async () => {
    expect((await api.call('GET', '/v1/health')).body).toEqual({ status: 'ok' });
    const doc = (await api.call('GET', '/v1/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    // Every route of the table, plus the feed the local runtime serves itself (SQS in AWS), documented all the same.
    expect(Object.keys(doc.paths).sort()).toEqual([...new Set([...routes.map((r) => r.path), '/v1/events'])].sort());
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/services/{service}/instances/{instanceId}/heartbeat',
        '/v1/sd/prometheus',
        '/eureka/v2/apps/{app}',
        '/eureka/apps/delta',
        '/v1/tokens',
      ]),
    );
    expect(doc.components.schemas.RegisterInstance.properties.port).toMatchObject({ minimum: 1, maximum: 65535 });
  });
});
