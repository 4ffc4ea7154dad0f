/**
 * The README's promise end to end: a registry-side outage (every heartbeat lost) does not empty a service in a
 * gateway's cache. Against the local runtime with its prober (1 s rounds): 100 lease-mode instances with 10 s leases
 * stop heartbeating at once; the cache, fed by the client's SSE feed and re-checking discovery often, never holds
 * fewer than 100 instances while the leases lapse, the reads keep them provisionally and the prober's guard engages.
 */
import type { LocalRuntime } from '../../../local/runtime.js';
import { RegistryClient, ServiceCache, SseFeed } from '@service-registry/client';
import pMap from 'p-map';
import { sleep, startTestRuntime } from '../../support.js';

const FLEET = 100;
/** The runtime's prober interval (the guard engages within about two rounds of a mass expiry). */
const PROBE_INTERVAL_SECONDS = 1;
/**
 * Two rounds, stricter than the documented `2 × interval + 10 s` (which would hold through the whole run): so an
 * empty discovery answer lasting longer than the guard needs to engage would show in the cache.
 */
const CONFIRM_EMPTY_MS = 2 * PROBE_INTERVAL_SECONDS * 1000;
/**
 * The fleet's lease. The scenario is a fleet whose leases lapse together, so registering it must take well under one
 * lease: on a loaded two-core CI machine 100 registrations have taken seconds, which with 4 s leases spread the
 * expiries beyond the guard's window (one lease period) and made it an ordinary trickle of expiries, not an outage.
 */
const LEASE_SECONDS = 10;

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
  // Prepare: the fleet registers with 10 s leases and never heartbeats; a gateway's cache follows it.
  const ids = Array.from({ length: FLEET }, (_, i) => `i-${String(i).padStart(3, '0')}`);
  const registeredAt = Date.now(); // the first lease starts here, the last one a little later
  await pMap(ids, (id, i) => client.register('fleet', id, { address: `10.0.${i >> 8}.${i & 255}`, port: 80, leaseSeconds: LEASE_SECONDS }), {
    concurrency: 16,
  });
  const allRegisteredAt = Date.now(); // the last lease starts by here
  const spreadMs = allRegisteredAt - registeredAt;
  console.log(`fleet of ${FLEET} registered over ${spreadMs} ms (leases of ${LEASE_SECONDS} s)`);
  const cache = new ServiceCache({ client, service: 'fleet', recheckMs: 500, confirmEmptyMs: CONFIRM_EMPTY_MS });
  await cache.start();
  const feed = new SseFeed({ client, services: ['fleet'] });
  feed.start(cache.feedHandlers());
  try {
    // Act: watch the cache from the first registration until the last lease has run out and 8 s more have passed
    // (the guard engages within about two prober rounds of the mass expiry).
    let fewest = cache.instances().length;
    while (Date.now() - allRegisteredAt < (LEASE_SECONDS + 8) * 1000) {
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
}, 90_000);
