/**
 * The cache while the registry's mass-failure guard is engaged: an empty answer never replaces a populated service.
 * The registry is a scripted HTTP server answering discovery as the contract says (`instanceList` in
 * lambdas/domain/schemas.ts), because making a real registry lose every heartbeat on demand is the core's own test.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ResyncEventDetail, type InstanceRecord, type ProtectionStatus } from '@service-registry/contracts';
import { RegistryClient, type RegistryEvent, ServiceCache } from '@service-registry/client';

let server: Server;
let client: RegistryClient;
/** What discovery answers next; `gate` (when set) holds the answer until resolved. */
let answer: { instances: InstanceRecord[]; protection?: ProtectionStatus };
let gate: Promise<void> | undefined;

beforeAll(async () => {
  server = createServer((req, res) => {
    void (async () => {
      await gate;
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
  return { service: 'orders', instanceId, address: '10.0.0.1', port: 80, protocol: 'http', weight: 100, tags: [], metadata: {}, status: 'UP', health: 'passing', leaseSeconds: 30, registeredAt: at, updatedAt: at, revision, ...extra };
}

const PROTECTION: ProtectionStatus = { engaged: true, leases: true, probes: false, since: '2024-01-01T00:00:10.000Z' };

function protectionEvent(engaged: boolean): RegistryEvent {
  const time = new Date().toISOString();
  return {
    id: `protection-${engaged}`,
    'detail-type': engaged ? 'Registry Protection Engaged' : 'Registry Protection Released',
    time,
    detail: { schemaVersion: '1.0', eventId: `protection:${time}:${engaged}`, engaged, probeEngaged: false, leaseEngaged: engaged, failedTargets: 0, probedTargets: 0, expiredLeases: 2, leasedInstances: 2, time },
  };
}

const ids = (cache: ServiceCache) => cache.instances().map((i) => i.instanceId).sort();

describe('ServiceCache under registry protection', () => {
  it('reads the protection status and the leaseExpired marks from discovery', async () => {
    answer = { instances: [record('a', 1), record('b', 1, { leaseExpired: true, health: 'unknown' })], protection: PROTECTION };
    const cache = new ServiceCache({ client, service: 'orders' });

    await cache.start();

    expect(cache.protectionEngaged).toBe(true);
    expect(cache.instances().find((i) => i.instanceId === 'b')).toMatchObject({ leaseExpired: true, health: 'unknown' });
    cache.stop();
  });

  it('keeps a populated service when an empty answer comes while protection is engaged', async () => {
    // Prepare
    const cache = new ServiceCache({ client, service: 'orders' });
    await cache.start();

    // Act: the registry answers with nothing, under protection.
    answer = { instances: [], protection: PROTECTION };
    await cache.recheck();

    // Assess
    expect(ids(cache)).toEqual(['a', 'b']);
    expect(cache.holding).toBe(true);
    cache.stop();
  });

  it('empties a service on an empty answer without protection', async () => {
    const cache = new ServiceCache({ client, service: 'orders' });
    await cache.start();

    answer = { instances: [] };
    await cache.recheck();

    expect(ids(cache)).toEqual([]);
    expect(cache.holding).toBe(false);
    cache.stop();
  });

  it('resyncs a held list when the feed says protection was released, and then lets it go empty', async () => {
    const cache = new ServiceCache({ client, service: 'orders' });
    await cache.start();
    answer = { instances: [], protection: PROTECTION };
    await cache.recheck();
    expect(ids(cache)).toEqual(['a', 'b']);
    answer = { instances: [] }; // the guard let go: the instances really are gone

    cache.apply(protectionEvent(false));
    await cache.resync(); // joins the resync the event started

    expect(ids(cache)).toEqual([]);
    expect(cache.protectionEngaged).toBe(false);
    cache.stop();
  });

  it('learns protection from a feed event that arrives while a snapshot is in flight', async () => {
    const cache = new ServiceCache({ client, service: 'orders' });
    await cache.start();
    let open!: () => void;
    gate = new Promise((resolve) => (open = resolve));
    answer = { instances: [] }; // read before the guard engaged, answered after

    const resync = cache.resync();
    cache.apply(protectionEvent(true));
    open();
    await resync;

    expect(cache.protectionEngaged).toBe(true);
    expect(ids(cache)).toEqual(['a', 'b']);
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
