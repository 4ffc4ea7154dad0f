/**
 * The cache while the registry's mass-failure guard is engaged (an empty answer never replaces a populated service;
 * protection events are per prober shard, so a `Released` is checked with discovery, never trusted), and before it
 * engages (an empty answer no removal event explains is held until a re-check confirms it). The registry is a
 * scripted HTTP server answering discovery as the contract says (`instanceList` in packages/contracts/src/api.ts),
 * because making a real registry lose every heartbeat on demand is the core's own test (the end-to-end run against
 * the local runtime is cache-outage.test.ts).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ResyncEventDetail, InstanceRecord, ProtectionStatus } from '@service-registry/contracts';
import { RegistryClient, type RegistryEvent, ServiceCache } from '@service-registry/client';

let server: Server;
let client: RegistryClient;
/** Discovery requests answered so far. */
let requests = 0;
/** What discovery answers next; `gate` (when set) holds the answer until resolved. */
let answer: { instances: InstanceRecord[]; protection?: ProtectionStatus };
let gate: Promise<void> | undefined;

beforeAll(async () => {
  server = createServer((req, res) => {
    void (async () => {
      await gate;
      requests++;
      const body = JSON.stringify({ service: 'orders', ...answer });
      const etag = `W/"${Buffer.from(body).toString('base64url').slice(-16)}"`;
      if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
      res.writeHead(200, { 'content-type': 'application/json', etag }).end(body);
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  client = new RegistryClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  gate = undefined;
  answer = { instances: [record('a', 1), record('b', 1)] };
});

function record(instanceId: string, revision: number, extra: Partial<InstanceRecord> = {}): InstanceRecord {
  const at = '2024-01-01T00:00:00.000Z';
  return {
    service: 'orders',
    instanceId,
    address: '10.0.0.1',
    port: 80,
    protocol: 'http',
    weight: 100,
    tags: [],
    metadata: {},
    status: 'UP',
    health: 'passing',
    leaseSeconds: 30,
    registeredAt: at,
    updatedAt: at,
    revision,
    ...extra,
  };
}

const PROTECTION: ProtectionStatus = { engaged: true, leases: true, probes: false, since: '2024-01-01T00:00:10.000Z' };

/** A guard event of prober shard `shard` (which shard covers 'orders' depends on the shard count: unknown here). */
function protectionEvent(engaged: boolean, shard: number): RegistryEvent {
  const time = new Date().toISOString();
  return {
    id: `protection-${shard}-${engaged}`,
    'detail-type': engaged ? 'Registry Protection Engaged' : 'Registry Protection Released',
    time,
    detail: {
      schemaVersion: '1.0',
      eventId: `protection:${shard}:${time}:${engaged}`,
      shard,
      engaged,
      probeEngaged: false,
      leaseEngaged: engaged,
      failedTargets: 0,
      probedTargets: 0,
      expiredLeases: 2,
      leasedInstances: 2,
      time,
    },
  };
}

const ids = (cache: ServiceCache) =>
  cache
    .instances()
    .map((i) => i.instanceId)
    .sort();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function removal(instanceId: string, revision: number, type: 'Instance Deregistered' | 'Instance Expired'): RegistryEvent {
  const time = new Date().toISOString();
  return {
    id: `${instanceId}-${revision}`,
    'detail-type': type,
    time,
    detail: {
      schemaVersion: '1.0',
      eventId: `orders/${instanceId}/${revision}`,
      service: 'orders',
      instanceId,
      revision,
      instance: null,
      changed: [],
      reason: type === 'Instance Expired' ? 'lease-expired' : 'deregistered',
      time,
    },
  };
}

describe('ServiceCache under registry protection', () => {
  it('reads the protection status and the leaseExpired marks from discovery', async () => {
    answer = { instances: [record('a', 1), record('b', 1, { leaseExpired: true, health: 'unknown' })], protection: PROTECTION };
    const cache = new ServiceCache({ client, service: 'orders' });

    await cache.start();

    expect(cache.protectionEngaged).toBe(true);
    expect(cache.instances().find((i) => i.instanceId === 'b')).toMatchObject({ leaseExpired: true, health: 'unknown' });
    cache.stop();
  });

  // The tests of this block turn the confirmation of empty answers off (`confirmEmptyMs: 0`): what holds here is
  // protection alone.
  it('keeps a populated service when an empty answer comes while protection is engaged', async () => {
    // Prepare
    const cache = new ServiceCache({ client, service: 'orders', confirmEmptyMs: 0 });
    await cache.start();

    // Act: the registry answers with nothing, under protection.
    answer = { instances: [], protection: PROTECTION };
    await cache.recheck();

    // Assess
    expect(ids(cache)).toEqual(['a', 'b']);
    expect(cache.holding).toBe(true);
    expect(cache.confirmingEmpty).toBe(false); // held for as long as protection lasts, not for a confirmation
    cache.stop();
  });

  it('empties a service on an empty answer without protection when confirmation is off', async () => {
    const cache = new ServiceCache({ client, service: 'orders', confirmEmptyMs: 0 });
    await cache.start();

    answer = { instances: [] };
    await cache.recheck();

    expect(ids(cache)).toEqual([]);
    expect(cache.holding).toBe(false);
    cache.stop();
  });

  it('resyncs a held list when the feed says protection was released, and then lets it go empty', async () => {
    const cache = new ServiceCache({ client, service: 'orders', confirmEmptyMs: 0 });
    await cache.start();
    answer = { instances: [], protection: PROTECTION };
    await cache.recheck();
    expect(ids(cache)).toEqual(['a', 'b']);
    answer = { instances: [] }; // the guard let go: the instances really are gone

    cache.apply(protectionEvent(false, 0));
    await cache.resync(); // joins the resync the event started

    expect(ids(cache)).toEqual([]);
    expect(cache.protectionEngaged).toBe(false);
    cache.stop();
  });

  it('holds on an Engaged event of any shard that arrives while a snapshot is in flight', async () => {
    const cache = new ServiceCache({ client, service: 'orders', confirmEmptyMs: 0 });
    await cache.start();
    let open!: () => void;
    gate = new Promise((resolve) => (open = resolve));
    answer = { instances: [] }; // read before the guard engaged, answered after

    const resync = cache.resync();
    cache.apply(protectionEvent(true, 3)); // maybe not this service's shard: holding is safe anyway
    open();
    await resync;

    expect(cache.protectionEngaged).toBe(true);
    expect(ids(cache)).toEqual(['a', 'b']);
    cache.stop();
  });

  it("does not take another shard's Released for its own: it re-checks, and discovery says protection still holds", async () => {
    // Prepare: discovery says this service is protected (one lease ran out and is kept, marked).
    answer = { instances: [record('a', 1), record('b', 1, { leaseExpired: true, health: 'unknown' })], protection: PROTECTION };
    const cache = new ServiceCache({ client, service: 'orders', confirmEmptyMs: 0 });
    await cache.start();
    const before = requests;

    // Act: some shard's guard lets go; 'orders' is in another one, still engaged.
    expect(cache.apply(protectionEvent(false, 5))).toBe(true);
    await cache.resync(); // joins the re-check the event started

    // Assess: it asked discovery, which still says protection, so an empty answer is still held.
    expect(requests).toBe(before + 1);
    expect(cache.protectionEngaged).toBe(true);
    answer = { instances: [], protection: PROTECTION };
    await cache.recheck();
    expect(ids(cache)).toEqual(['a', 'b']);
    expect(cache.holding).toBe(true);
    cache.stop();
  });

  it('re-checks after a snapshot in flight when a Released arrives meanwhile, trusting discovery rather than the event', async () => {
    // Prepare
    const cache = new ServiceCache({ client, service: 'orders', confirmEmptyMs: 0 });
    await cache.start();
    let open!: () => void;
    gate = new Promise((resolve) => (open = resolve));
    answer = { instances: [], protection: PROTECTION };
    const before = requests;

    // Act: another shard's guard lets go while the read is in flight.
    const resync = cache.resync();
    cache.apply(protectionEvent(false, 1));
    open();
    await resync;

    // Assess: the answer's protection counts (the event may be another shard's): held; and it asks once more, since
    // the answer may have been read before the release.
    expect(ids(cache)).toEqual(['a', 'b']);
    expect(cache.protectionEngaged).toBe(true);
    for (let i = 0; i < 100 && requests < before + 2; i++) await sleep(10);
    expect(requests).toBe(before + 2);
    await cache.resync();
    expect(ids(cache)).toEqual(['a', 'b']);
    cache.stop();
  });

  it('ignores a Released when it neither holds nor counts protection as engaged', async () => {
    const cache = new ServiceCache({ client, service: 'orders' });
    await cache.start();
    const before = requests;

    expect(cache.apply(protectionEvent(false, 2))).toBe(false);

    expect(requests).toBe(before);
    cache.stop();
  });

  it('resyncs on a Registry Resync Required event that names its service, and only then', async () => {
    const cache = new ServiceCache({ client, service: 'orders' });
    await cache.start();
    answer = { instances: [record('c', 1)] };
    const time = new Date().toISOString();
    const resyncRequired = (services: string[]): RegistryEvent => {
      const detail: ResyncEventDetail = { schemaVersion: '1.0', eventId: `resync:${services}`, services, reason: 'publish-failed', time };
      return { id: 'r', 'detail-type': 'Registry Resync Required', time, detail };
    };

    expect(cache.apply(resyncRequired(['billing']))).toBe(false);
    expect(ids(cache)).toEqual(['a', 'b']);

    expect(cache.apply(resyncRequired(['billing', 'orders']))).toBe(true);
    await cache.resync(); // joins the resync the event started
    expect(ids(cache)).toEqual(['c']);
    cache.stop();
  });
});

describe('ServiceCache before the guard engages: an empty answer is confirmed before it applies', () => {
  it('holds a populated list on an empty answer and applies it when the confirmation re-check still finds it empty', async () => {
    // Prepare
    const cache = new ServiceCache({ client, service: 'orders', confirmEmptyMs: 300 });
    await cache.start();

    // Act 1: the registry answers empty, without protection (a small service: reads judge no mass expiry).
    answer = { instances: [] };
    await cache.recheck();

    // Assess 1: kept, and nothing marked.
    expect(ids(cache)).toEqual(['a', 'b']);
    expect(cache.instances().some((i) => i.leaseExpired)).toBe(false);
    expect(cache.holding).toBe(true);
    expect(cache.confirmingEmpty).toBe(true);

    // Act 2 / Assess 2: the cache asks again by itself after the delay (its periodic re-check is 30 s away).
    for (let i = 0; i < 200 && ids(cache).length > 0; i++) await sleep(20);
    expect(ids(cache)).toEqual([]);
    expect(cache.holding).toBe(false);
    cache.stop();
  });

  it('starts over when an answer in between lists the instances again', async () => {
    // Prepare: a clock of its own; the confirmation timer is far away and never fires during the test.
    let now = 1_000_000;
    const cache = new ServiceCache({ client, service: 'orders', confirmEmptyMs: 10_000, now: () => now });
    await cache.start();

    // Act: empty, then populated again (a 304: the registry's set is the one the cache applied), then empty again
    // 11 s after the first empty answer.
    answer = { instances: [] };
    await cache.recheck();
    now += 5_000;
    answer = { instances: [record('a', 1), record('b', 1)] };
    await cache.recheck();
    expect(cache.holding).toBe(false);
    now += 6_000;
    answer = { instances: [] };
    await cache.recheck();

    // Assess: the second empty answer starts a confirmation of its own.
    expect(ids(cache)).toEqual(['a', 'b']);
    expect(cache.confirmingEmpty).toBe(true);
    now += 10_000;
    await cache.recheck();
    expect(ids(cache)).toEqual([]);
    cache.stop();
  });

  it('applies removal events at once while an empty answer awaits confirmation', async () => {
    // Prepare
    const cache = new ServiceCache({ client, service: 'orders' }); // the default delay: 30 s
    await cache.start();
    answer = { instances: [] };
    await cache.recheck();
    expect(ids(cache)).toEqual(['a', 'b']);

    // Act
    expect(cache.apply(removal('a', 2, 'Instance Deregistered'))).toBe(true);
    expect(ids(cache)).toEqual(['b']);
    expect(cache.apply(removal('b', 2, 'Instance Expired'))).toBe(true);

    // Assess
    expect(ids(cache)).toEqual([]);
    expect(cache.holding).toBe(false);
    cache.stop();
  });

  it('refuses a confirmation delay that is not a number of milliseconds', () => {
    expect(() => new ServiceCache({ client, service: 'orders', confirmEmptyMs: -1 })).toThrow(RangeError);
    expect(() => new ServiceCache({ client, service: 'orders', confirmEmptyMs: Number.NaN })).toThrow(RangeError);
  });
});
