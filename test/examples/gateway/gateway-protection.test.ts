/**
 * The example gateway under registry protection: a service keeps routing while the registry answers empty under its
 * guard, and registry-wide events (no `service` in the detail) reach every route's cache. The registry is a scripted
 * discovery server (see cache-protection.test.ts); the feed is driven by the test.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startGateway } from '../../../examples/gateway/gateway.js';
import type { InstanceRecord, ProtectionStatus } from '@service-registry/contracts';
import { type ChangeFeed, type FeedHandlers, RegistryClient } from '@service-registry/client';

const servers: Server[] = [];
async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}
afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

it('keeps routing while the registry answers empty under protection, and lets go once the feed says released', async () => {
  // Prepare: one upstream instance, a registry that lists it, and a feed the test drives.
  const upstreamPort = await listen(createServer((_req, res) => res.writeHead(200).end('a')));
  const at = '2024-01-01T00:00:00.000Z';
  const a: InstanceRecord = {
    service: 'orders',
    instanceId: 'a',
    address: '127.0.0.1',
    port: upstreamPort,
    protocol: 'http',
    weight: 100,
    tags: [],
    metadata: {},
    status: 'UP',
    health: 'passing',
    leaseSeconds: 30,
    registeredAt: at,
    updatedAt: at,
    revision: 1,
  };
  let answer: { instances: InstanceRecord[]; protection?: ProtectionStatus } = { instances: [a] };
  const registryPort = await listen(
    createServer((_req, res) =>
      res
        .writeHead(200, { 'content-type': 'application/json', etag: `W/"${JSON.stringify(answer).length}"` })
        .end(JSON.stringify({ service: 'orders', ...answer })),
    ),
  );
  let handlers!: FeedHandlers;
  const feed: ChangeFeed = { start: (h) => void (handlers = h), stop: async () => undefined };
  // Confirmation of empty answers off: what holds here is protection alone (cache-protection.test.ts pins both).
  const gateway = startGateway({ client: new RegistryClient({ baseUrl: `http://127.0.0.1:${registryPort}` }), feed, confirmEmptyMs: 0 });
  const base = `http://127.0.0.1:${await listen(gateway.server)}`;
  try {
    expect(await (await fetch(`${base}/orders/`)).text()).toBe('a');

    // Act 1: every lease lapsed at once; the registry answers empty under its guard.
    answer = { instances: [], protection: { engaged: true, leases: true, probes: false, since: at } };
    await gateway.routes.get('orders')!.cache.recheck();

    // Assess 1: still routed.
    const during = await fetch(`${base}/orders/`);
    expect(during.status).toBe(200);
    expect(await during.text()).toBe('a');

    // Act 2: the guard lets go (the instances really are gone); the event names no service.
    answer = { instances: [] };
    const time = new Date().toISOString();
    handlers.onEvent({
      id: '9',
      'detail-type': 'Registry Protection Released',
      time,
      detail: {
        schemaVersion: '1.0',
        eventId: 'p',
        engaged: false,
        probeEngaged: false,
        leaseEngaged: false,
        failedTargets: 0,
        probedTargets: 0,
        expiredLeases: 0,
        leasedInstances: 0,
        time,
      },
    });

    // Assess 2: the event alone made the cache resync (its own re-check is 10 s away).
    let after = await fetch(`${base}/orders/`);
    for (let i = 0; i < 100 && after.status !== 503; i++) {
      await after.arrayBuffer();
      await new Promise((r) => setTimeout(r, 20));
      after = await fetch(`${base}/orders/`);
    }
    expect(after.status).toBe(503);
    expect(((await after.json()) as { error: { code: string } }).error.code).toBe('NO_INSTANCE');
  } finally {
    await gateway.stop();
  }
});
