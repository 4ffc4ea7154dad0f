/** Black-box tests of discovery and the service list, through the local runtime over HTTP. */
import type { LocalRuntime } from '../../../local/runtime.js';
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

const ids = (reply: { body: { instances: Array<{ instanceId: string }> } }) => reply.body.instances.map((i) => i.instanceId).sort();
// Leases outlive a slow run of the file: a fleet whose 30 s leases lapsed together would engage the lease guard.
const at = (n: number) => ({ address: `10.0.1.${n}`, port: 80, leaseSeconds: 600 });

describe('GET /v1/services/{service}/instances', () => {
  beforeAll(async () => {
    await api.register('shop', 'up-a', { ...at(1), zone: 'a', tags: ['v1', 'canary'], metadata: { version: '1' } });
    await api.register('shop', 'up-b', { ...at(2), zone: 'b', tags: ['v1'], metadata: { version: '2' } });
    await api.register('shop', 'draining', { ...at(3), zone: 'a' });
    await api.patch('shop', 'draining', { status: 'DRAINING' });
    await api.register('shop', 'probed', { address: '10.0.1.4', port: 80, zone: 'b', healthCheck: { type: 'tcp' } }); // probe-driven: no lease
    // Live for the other tests, whatever their order: the expiry test shortens its lease and restores it.
    await api.register('shop', 'expiring', at(5));
  });

  it('returns UP, live instances with passing or unknown health by default', async () => {
    const res = await api.discover('shop');
    expect(res.status).toBe(200);
    expect(ids(res)).toEqual(['expiring', 'probed', 'up-a', 'up-b']);
  });

  it('filters by zone, by every given tag, and by metadata', async () => {
    expect(ids(await api.discover('shop', 'zone=a'))).toEqual(['up-a']);
    expect(ids(await api.discover('shop', 'tag=v1'))).toEqual(['up-a', 'up-b']);
    expect(ids(await api.discover('shop', 'tag=v1&tag=canary'))).toEqual(['up-a']);
    expect(ids(await api.discover('shop', 'meta.version=2'))).toEqual(['up-b']);
    expect(ids(await api.discover('shop', 'meta.version=3'))).toEqual([]);
  });

  it('includes draining instances with status=all and hides expired ones always', async () => {
    await api.register('shop', 'expiring', { ...at(5), leaseSeconds: 2 });
    expect(ids(await api.discover('shop', 'status=all'))).toEqual(['draining', 'expiring', 'probed', 'up-a', 'up-b']);
    await sleep(2100);
    expect(ids(await api.discover('shop', 'status=all'))).toEqual(['draining', 'probed', 'up-a', 'up-b']);
    expect(ids(await api.discover('shop'))).toEqual(['probed', 'up-a', 'up-b']);
    await api.register('shop', 'expiring', at(5));
  });

  it('fails open with healthy_or_else_all only when nothing is healthy', async () => {
    expect(ids(await api.discover('shop', 'status=healthy_or_else_all&zone=a'))).toEqual(['up-a']);
    await api.register('fallback', 'x', { ...at(9) });
    await api.patch('fallback', 'x', { status: 'DRAINING' });
    expect(ids(await api.discover('fallback'))).toEqual([]);
    expect(ids(await api.discover('fallback', 'status=healthy_or_else_all'))).toEqual(['x']);
  });

  it('answers 304 to If-None-Match with the current ETag, and 200 once the set changes', async () => {
    const first = await api.discover('shop');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^W\/".+"$/);
    const again = await api.discover('shop', '', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body).toBeUndefined();
    await api.patch('shop', 'up-a', { weight: 3 });
    const changed = await api.discover('shop', '', { 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
  });

  it('keeps the ETag across heartbeats, which change nothing a client routes by', async () => {
    await api.register('steady', 'a', { ...at(1), leaseSeconds: 30 });
    const before = (await api.discover('steady')).headers.get('etag');
    await api.heartbeat('steady', 'a');
    expect((await api.discover('steady')).headers.get('etag')).toBe(before);
  });

  it('returns an empty list for a service nobody registered', async () => {
    const res = await api.discover('ghost');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ service: 'ghost', instances: [] });
  });
});

describe('pagination', () => {
  const count = 250;
  beforeAll(async () => {
    for (let i = 0; i < count; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, j) => api.register('big', `i-${String(i + j).padStart(4, '0')}`, { ...at(1), port: 1000 + i + j })));
    }
    // Every third one draining, so pages must skip non-matching items and still fill up.
    for (let i = 0; i < count; i += 3) await api.patch('big', `i-${String(i).padStart(4, '0')}`, { status: 'DRAINING' });
    // 334 writes: seconds on an idle machine, far more on a loaded two-core CI runner sharing one DynamoDB Local.
  }, 120_000);

  it('lists every matching instance exactly once across pages', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await api.discover('big', `limit=40${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.instances.length).toBeLessThanOrEqual(40);
      seen.push(...res.body.instances.map((i: { instanceId: string }) => i.instanceId));
      cursor = res.body.cursor;
      pages++;
    } while (cursor);
    const expected = Array.from({ length: count }, (_, i) => i)
      .filter((i) => i % 3 !== 0)
      .map((i) => `i-${String(i).padStart(4, '0')}`);
    expect(seen).toEqual(expected);
    expect(pages).toBe(Math.ceil(expected.length / 40));
  });

  it('refuses a cursor it did not issue with 400 naming query.cursor', async () => {
    const res = await api.discover('big', 'cursor=not-a-cursor');
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].field).toBe('query.cursor');
  });
});

describe('GET /v1/services', () => {
  it('lists services with total and healthy counts kept on every write', async () => {
    await api.register('counted', 'a', at(1));
    await api.register('counted', 'b', at(2));
    await api.register('counted', 'c', at(3));
    await api.patch('counted', 'b', { status: 'DRAINING' });
    await api.deregister('counted', 'c');
    await api.register('counted', 'a', { ...at(1), port: 81 });
    // The counters follow from the stream (eventually consistent).
    const counted = (r: any) => r.body.services?.some((s: any) => s.service === 'counted' && s.total === 2 && s.healthy === 1);
    const res = await eventually(() => api.services(), counted);
    expect(res.status).toBe(200);
    expect(res.body.services).toContainEqual({ service: 'counted', total: 2, healthy: 1 });
  });

  it('drops a service whose last instance is gone, and pages with a cursor', async () => {
    for (const service of ['paged-a', 'paged-b', 'paged-c']) await api.register(service, 'a', at(1));
    await api.register('gone', 'a', at(1));
    const listAll = async () => {
      const all: string[] = [];
      let cursor: string | undefined;
      do {
        const res = await api.services(`limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        all.push(...res.body.services.map((s: { service: string }) => s.service));
        cursor = res.body.cursor;
      } while (cursor);
      return all;
    };
    // The counters follow from the stream (eventually consistent): 'gone' is listed first, then dropped.
    expect(await eventually(listAll, (all) => all.includes('gone'))).toContain('gone');
    await api.deregister('gone', 'a');
    const paged = ['paged-a', 'paged-b', 'paged-c'];
    const all = await eventually(listAll, (all) => !all.includes('gone') && paged.every((s) => all.includes(s)));
    expect(all).not.toContain('gone');
    expect(all).toEqual(expect.arrayContaining(['paged-a', 'paged-b', 'paged-c']));
    expect(new Set(all).size).toBe(all.length);
  });
});
