/**
 * `GET /v1/sd/prometheus` through the local runtime over HTTP, against the real registry on DynamoDB Local: the wire
 * format Prometheus expects, filters, every page, bad input, and read scoping with bearer tokens.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pMap from 'p-map';
import type { LocalRuntime } from '../../../local/runtime.js';
import { apiClient, eventually, sleep, startTestRuntime } from '../../support.js';

const sd = async (baseUrl: string, query = '', token: string | undefined = READER) => {
  const res = await fetch(`${baseUrl}/v1/sd/prometheus${query ? `?${query}` : ''}`, {
    headers: { 'x-prometheus-refresh-interval-seconds': '60', ...(token && { authorization: `Bearer ${token}` }) },
  });
  const text = await res.text();
  return { status: res.status, contentType: res.headers.get('content-type'), text, body: JSON.parse(text) };
};
const ids = (groups: any[]) => groups.map((g) => `${g.labels.__meta_registry_service}/${g.labels.__meta_registry_instance_id}`).sort();

/** Tokens: a writer, a reader of everything, and one that may read only service `a`. */
const WRITER = 'writer-token-0123456789';
const READER = 'reader-token-0123456789';
const READ_A = 'prom-a-token-012345678';
const tokens = {
  [WRITER]: { principal: 'deployer', services: ['*'], read: [], admin: false },
  [READER]: { principal: 'prometheus', services: [], read: ['*'], admin: false },
  [READ_A]: { principal: 'prometheus-a', services: [], read: ['a'], admin: false },
};
let runtime: LocalRuntime;
const writer = () => apiClient(runtime.url, WRITER);

let authDir: string | undefined;
beforeAll(async () => {
  authDir = mkdtempSync(join(tmpdir(), 'registry-auth-'));
  const file = join(authDir, 'auth.json');
  writeFileSync(file, JSON.stringify({ tokens }));
  runtime = await startTestRuntime({ authFile: file, prober: false });
  for (const [service, id, body] of [
    ['web', 'web-1', { address: '10.0.0.1', port: 9100, zone: 'z1', tags: ['v2', 'canary'], metadata: { 'prometheus.io/path': '/m' } }],
    ['web', 'web-2', { address: '::1', port: 9100, zone: 'z2', tags: ['v2'] }],
    ['api', 'api-1', { address: 'api.internal', port: 8080 }],
    ['api', 'api-2', { address: '10.0.0.4', port: 8080 }],
    ['a', 'a-1', { address: '10.0.0.5', port: 80 }],
    ['b', 'b-1', { address: '10.0.0.6', port: 80 }],
  ] as const) {
    expect((await writer().register(service, id, { ...body, leaseSeconds: 600 })).status).toBe(201);
  }
  expect((await writer().patch('api', 'api-2', { status: 'DRAINING' })).status).toBe(200);
  // The SD lists services from their counters, which the stream publisher derives: wait until all four are counted.
  await eventually(
    () => sd(runtime.url),
    (r) => ['a', 'api', 'b', 'web'].every((service) => r.body.some((g: any) => g.labels.__meta_registry_service === service)),
    10_000,
  );
});
afterAll(async () => {
  await runtime.stop();
  if (authDir) rmSync(authDir, { recursive: true, force: true });
});

/**
 * A runtime on a table of its own, for a test whose registrations (a lapsed fleet, one too large to list) would
 * otherwise show in, or break, the unfiltered lists the other tests read, whatever order they run in.
 */
async function onOwnTable(test: (url: string, write: ReturnType<typeof apiClient>) => Promise<void>): Promise<void> {
  const own = await startTestRuntime({ authFile: join(authDir!, 'auth.json'), prober: false });
  try {
    await test(own.url, apiClient(own.url, WRITER));
  } finally {
    await own.stop();
  }
}

describe('Prometheus HTTP SD', () => {
  it('answers 200, application/json and one target group per healthy instance of every service', async () => {
    const reply = await sd(runtime.url);
    expect(reply.status).toBe(200);
    expect(reply.contentType).toMatch(/^application\/json(; ?charset=utf-8)?$/i);
    expect(ids(reply.body)).toEqual(['a/a-1', 'api/api-1', 'b/b-1', 'web/web-1', 'web/web-2']);
    const web1 = reply.body.find((g: any) => g.labels.__meta_registry_instance_id === 'web-1');
    expect(web1).toEqual({
      targets: ['10.0.0.1:9100'],
      labels: {
        __meta_registry_service: 'web',
        __meta_registry_instance_id: 'web-1',
        __meta_registry_zone: 'z1',
        __meta_registry_tags: ',v2,canary,',
        __meta_registry_metadata_prometheus_io_path: '/m',
        __meta_registry_health: 'passing',
        __meta_registry_status: 'UP',
        __metrics_path__: '/m',
      },
    });
    expect(reply.body.find((g: any) => g.labels.__meta_registry_instance_id === 'web-2').targets).toEqual(['[::1]:9100']);
    expect(reply.body.find((g: any) => g.labels.__meta_registry_instance_id === 'api-1')).toMatchObject({
      targets: ['api.internal:8080'],
      labels: { __meta_registry_tags: ',,' },
    });
  });

  it('filters by service, zone and every tag given', async () => {
    expect(ids((await sd(runtime.url, 'service=web')).body)).toEqual(['web/web-1', 'web/web-2']);
    expect(ids((await sd(runtime.url, 'service=web&service=api')).body)).toEqual(['api/api-1', 'web/web-1', 'web/web-2']);
    expect(ids((await sd(runtime.url, 'zone=z2')).body)).toEqual(['web/web-2']);
    expect(ids((await sd(runtime.url, 'tag=v2&tag=canary')).body)).toEqual(['web/web-1']);
  });

  it('serves the instances discovery leaves out only with status=all, labelled with their status', async () => {
    const all = (await sd(runtime.url, 'service=api&status=all')).body;
    expect(ids(all)).toEqual(['api/api-1', 'api/api-2']);
    expect(all.find((g: any) => g.labels.__meta_registry_instance_id === 'api-2').labels.__meta_registry_status).toBe('DRAINING');
  });

  it('answers exactly [] when nothing matches, and for a service with no instance', async () => {
    for (const query of ['tag=nothing', 'service=nobody']) {
      const reply = await sd(runtime.url, query);
      expect([reply.status, reply.text]).toEqual([200, '[]']);
    }
  });

  it('labels instances the registry keeps after a mass lease expiry with lease_expired, as discovery marks them', () =>
    onOwnTable(async (url, write) => {
      // 12 leases lapse together: over the lease share and the minimum population, so reads keep them, marked.
      const registered = await Promise.all(
        Array.from({ length: 12 }, (_, i) => write.register('lapsed', `l-${i}`, { address: '10.2.0.1', port: 9000 + i, leaseSeconds: 2 })),
      );
      const expiry = Math.max(...registered.map((r) => Date.parse(r.body.leaseExpiresAt)));
      await sleep(expiry - Date.now() + 200);
      const groups = (await sd(url, 'service=lapsed')).body;
      expect(groups).toHaveLength(12);
      expect(groups.map((g: any) => [g.labels.__meta_registry_lease_expired, g.labels.__meta_registry_health])).toEqual(Array(12).fill(['true', 'unknown']));
    }));

  it.each([
    ['an unknown parameter', 'limit=10', 'query.limit'],
    ['a bad status', 'status=sick', 'query.status'],
    ['a service name that is not one', 'service=Web', 'query.service.0'],
    ['a zone given twice', 'zone=z1&zone=z2', 'query.zone'],
  ])('answers 400 naming the parameter for %s', async (_name, query, field) => {
    const reply = await sd(runtime.url, query);
    expect(reply.status).toBe(400);
    expect(reply.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: [expect.objectContaining({ field })] });
  });

  /**
   * Registrations as large as the registry takes (32 tags of 128 characters, 4 KB of metadata), all quotes so every
   * byte is escaped twice: ~25 KB a record, so discovery pages stop at ~4 MiB (~170 records) and the target list
   * reaches a Lambda response's 6 MB at ~250 of them.
   */
  const heavy = (i: number) => ({
    address: '10.1.0.1',
    port: 10_000 + i,
    leaseSeconds: 600,
    tags: Array.from({ length: 32 }, (_, k) => `${k}`.padEnd(128, '"')),
    metadata: Object.fromEntries(Array.from({ length: 4 }, (_, k) => [`k${k}`, '"'.repeat(490)])),
  });
  const registerFleet = (write: ReturnType<typeof apiClient>, from: number, to: number) =>
    pMap(
      Array.from({ length: to - from }, (_, k) => from + k),
      async (i) => expect((await write.register('fleet', `f-${String(i).padStart(4, '0')}`, heavy(i))).status).toBe(201),
      { concurrency: 8 },
    );

  it(
    'returns the whole list across discovery pages, and a 400 rather than a partial list past what a Lambda response carries',
    () =>
      onOwnTable(async (url, write) => {
        for (const id of ['web-1', 'web-2']) expect((await write.register('web', id, { address: '10.0.0.1', port: 9100, leaseSeconds: 600 })).status).toBe(201);
        await registerFleet(write, 0, 180);
        const page = await write.call('GET', '/v1/services/fleet/instances?limit=1000', undefined, { authorization: `Bearer ${READER}` });
        expect(page.body.instances.length).toBeLessThan(180);
        expect(page.body.cursor).toEqual(expect.any(String));
        const whole = await sd(url, 'service=fleet');
        expect(whole.status).toBe(200);
        expect(new Set(whole.body.map((g: any) => g.targets[0])).size).toBe(180);

        await registerFleet(write, 180, 270);
        const tooLarge = await sd(url, 'service=fleet');
        expect(tooLarge.status).toBe(400);
        expect(tooLarge.body.error.details).toEqual([{ field: 'query', message: expect.stringMatching(/more than a Lambda response can carry/) }]);
        // The rest of the registry is still served in full.
        expect(ids((await sd(url, 'service=web')).body)).toEqual(['web/web-1', 'web/web-2']);
      }),
    120_000,
  );
});

describe('Prometheus HTTP SD with bearer tokens', () => {
  it("gives a token that may read only 'a' only a's targets without service=", async () => {
    const reply = await sd(runtime.url, '', READ_A);
    expect(reply.status).toBe(200);
    expect(ids(reply.body)).toEqual(['a/a-1']);
    expect(ids((await sd(runtime.url, '', WRITER)).body)).toEqual([]); // may write everything, read nothing
  });

  it('answers 403 naming the service for service=b, also next to a readable one', async () => {
    for (const query of ['service=b', 'service=a&service=b']) {
      const reply = await sd(runtime.url, query, READ_A);
      expect(reply.status).toBe(403);
      expect(reply.body.error.message).toMatch(/'b'/);
    }
  });

  it('answers 401 without a token', async () => {
    expect((await sd(runtime.url, '', '')).status).toBe(401);
  });
});
