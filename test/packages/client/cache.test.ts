/** The subscriber cache against the local runtime: convergence, ordering by revision, resync, stale-if-error. */
import type { LocalRuntime } from '../../../local/runtime.js';
import { RegistryClient, type RegistryEvent, ServiceCache, SseFeed } from '@service-registry/client';
import { sleep, startTestRuntime } from '../../support.js';

let runtime: LocalRuntime;
let client: RegistryClient;

beforeAll(async () => {
  runtime = await startTestRuntime({ prober: false });
  client = new RegistryClient({ baseUrl: runtime.url });
});
afterAll(async () => {
  await runtime.stop();
});

const at = (n: number) => ({ address: `10.0.0.${n}`, port: 80 });
const ids = (cache: ServiceCache) =>
  cache
    .instances()
    .map((i) => i.instanceId)
    .sort();

function event(service: string, instanceId: string, revision: number, instance: object | null): RegistryEvent {
  return {
    id: `${instanceId}-${revision}`,
    'detail-type': instance ? 'Instance Updated' : 'Instance Deregistered',
    time: new Date().toISOString(),
    detail: {
      schemaVersion: '1.0',
      eventId: `${service}/${instanceId}/${revision}`,
      service,
      instanceId,
      revision,
      instance: instance && ({ service, instanceId, revision, ...instance } as any),
      changed: [],
      reason: 'patched',
      time: new Date().toISOString(),
    },
  };
}

describe('ServiceCache', () => {
  it('converges with out-of-order and duplicate events, applying only newer revisions', async () => {
    await client.register('ordered', 'a', at(1));
    const cache = new ServiceCache({ client, service: 'ordered' });
    await cache.start();
    const base = cache.instances()[0]!.revision;
    expect(cache.apply(event('ordered', 'a', base + 2, { ...at(1), weight: 3 }))).toBe(true);
    expect(cache.apply(event('ordered', 'a', base + 1, { ...at(1), weight: 2 }))).toBe(false); // older: ignored
    expect(cache.apply(event('ordered', 'a', base + 2, { ...at(1), weight: 3 }))).toBe(false); // duplicate
    expect(cache.instances()[0]!.weight).toBe(3);
    expect(cache.apply(event('ordered', 'a', base + 3, null))).toBe(true);
    expect(cache.apply(event('ordered', 'a', base + 2, { ...at(1), weight: 3 }))).toBe(false); // late, older than the removal
    expect(ids(cache)).toEqual([]);
    expect(cache.apply(event('other', 'x', 99, at(2)))).toBe(false); // another service
    cache.stop();
  });

  it('follows the registry through the SSE feed and measures propagation lag', async () => {
    const cache = new ServiceCache({ client, service: 'live' });
    await cache.start();
    const feed = new SseFeed({ baseUrl: runtime.url, services: ['live'] });
    feed.start(cache.feedHandlers());
    await sleep(200);
    await client.register('live', 'a', at(1));
    await client.register('live', 'b', at(2));
    await client.deregister('live', 'a');
    for (let i = 0; i < 50 && ids(cache).join() !== 'b'; i++) await sleep(50);
    expect(ids(cache)).toEqual(['b']);
    expect(cache.lag().count).toBeGreaterThanOrEqual(3);
    expect(cache.lag().p99).toBeLessThan(2000);
    await feed.stop();
    cache.stop();
  });

  it('heals missed events with a re-check (304 while nothing changed)', async () => {
    await client.register('missed', 'a', at(1));
    const cache = new ServiceCache({ client, service: 'missed' });
    await cache.start();
    await cache.recheck();
    expect(ids(cache)).toEqual(['a']);
    await client.register('missed', 'b', at(2)); // no feed: this event is missed
    expect(ids(cache)).toEqual(['a']);
    await cache.recheck();
    expect(ids(cache)).toEqual(['a', 'b']);
    cache.stop();
  });

  it('keeps serving the last known instances when the registry is unreachable', async () => {
    await client.register('stale', 'a', at(1));
    const cache = new ServiceCache({ client: new RegistryClient({ baseUrl: runtime.url, timeoutMs: 500 }), service: 'stale' });
    await cache.start();
    const down = new ServiceCache({ client: new RegistryClient({ baseUrl: 'http://127.0.0.1:9', timeoutMs: 500 }), service: 'stale' });
    await expect(down.start()).rejects.toThrow(/unreachable/);
    // Point the working cache at a dead registry: it keeps what it had.
    (cache as unknown as { options: { client: RegistryClient } }).options.client = new RegistryClient({ baseUrl: 'http://127.0.0.1:9', timeoutMs: 500 });
    await cache.recheck();
    expect(cache.stale).toBe(true);
    expect(ids(cache)).toEqual(['a']);
    cache.stop();
    down.stop();
  });
});
