/**
 * The README's promise end to end: a registry-side outage (every heartbeat lost) does not empty a service in a
 * gateway's cache. Against the local runtime with its prober (1 s rounds): 100 lease-mode instances with 4 s leases
 * stop heartbeating at once; the cache, fed by the client's SSE feed and re-checking discovery often, never holds
 * fewer than 100 instances while the leases lapse, the reads keep them provisionally and the prober's guard engages.
 */
import type { LocalRuntime } from '../../local/runtime.js';
import { RegistryClient, ServiceCache, SseFeed } from '@service-registry/client';
import pMap from 'p-map';
import { sleep, startTestRuntime } from '../support.js';

const FLEET = 100;
/** The runtime's prober interval (the guard engages within about two rounds of a mass expiry). */
const PROBE_INTERVAL_SECONDS = 1;
/**
 * Two rounds, stricter than the documented `2 × interval + 10 s` (which would hold through the whole run): so an
 * empty discovery answer lasting longer than the guard needs to engage would show in the cache.
 */
const CONFIRM_EMPTY_MS = 2 * PROBE_INTERVAL_SECONDS * 1000;

let runtime: LocalRuntime;
let client: RegistryClient;

beforeAll(async () => {
  runtime = await startTestRuntime({ probeIntervalSeconds: PROBE_INTERVAL_SECONDS });
  // A generous timeout: on a loaded two-core CI machine a burst of registrations can queue behind DynamoDB Local.
  client = new RegistryClient({ baseUrl: runtime.url, timeoutMs: 30_000 });
});
afterAll(async () => {
  await runtime.stop();
});

it('never drops below the whole fleet while every heartbeat is lost: the reads and then the guard keep it', async () => {
  // Prepare: the fleet registers with 4 s leases and never heartbeats; a gateway's cache follows it.
  const ids = Array.from({ length: FLEET }, (_, i) => `i-${String(i).padStart(3, '0')}`);
  const registeredAt = Date.now(); // the first lease starts here, the last one a little later
  await pMap(ids, (id, i) => client.register('fleet', id, { address: `10.0.${i >> 8}.${i & 255}`, port: 80, leaseSeconds: 4 }), { concurrency: 16 });
  const cache = new ServiceCache({ client, service: 'fleet', recheckMs: 500, confirmEmptyMs: CONFIRM_EMPTY_MS });
  await cache.start();
  const feed = new SseFeed({ client, services: ['fleet'] });
  feed.start(cache.feedHandlers());
  try {
    // Act: watch the cache for 12 s from registration (three leases: they lapse at ~4 s; the guard engages after).
    let fewest = cache.instances().length;
    while (Date.now() - registeredAt < 12_000) {
      await sleep(100);
      fewest = Math.min(fewest, cache.instances().length);
    }

    // Assess: never fewer than the fleet; and the cache did follow discovery through the outage: every instance it
    // holds is the marked one discovery serves under the guard, which engaged (not just the reads' provisional word).
    expect(fewest).toBe(FLEET);
    const now = await client.discoverAll('fleet', { status: 'all' });
    expect(now.instances).toHaveLength(FLEET);
    expect(now.protection).toMatchObject({ engaged: true, leases: true });
    expect(now.protection).not.toHaveProperty('provisional');
    await cache.recheck();
    expect(cache.protectionEngaged).toBe(true);
    expect(cache.instances().filter((i) => i.leaseExpired === true)).toHaveLength(FLEET);
  } finally {
    await feed.stop();
    cache.stop();
  }
}, 30_000);
