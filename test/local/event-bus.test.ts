/**
 * The local bus's SSE feed: scoped by the subscriber's read scope (protection events to everyone, a resync event to
 * subscribers of any service it names), and event ids that keep increasing across restarts of the bus.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { LOCAL_AWS_ENV } from '../../local/dynamodb-local.js';
import { LocalEventBus, type ReadScope } from '../../local/event-bus.js';
import { subscribe } from '../support.js';

/** A bus with an SSE endpoint whose read scope comes from the `x-read` header (comma-separated, `*` = all). */
async function feedServer(): Promise<{ bus: LocalEventBus; url: string; put(entries: Array<[string, object]>): Promise<void>; stop(): Promise<void> }> {
  const bus = new LocalEventBus();
  const endpoint = await bus.start();
  const server: Server = createServer((req, res) => {
    const read = String(req.headers['x-read'] ?? '*').split(',');
    const scope: ReadScope = (service) => read.includes('*') || read.includes(service);
    bus.subscribe(req, res, new URL(req.url ?? '/', 'http://local'), scope);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = new EventBridgeClient({
    endpoint,
    region: LOCAL_AWS_ENV.AWS_REGION,
    credentials: { accessKeyId: LOCAL_AWS_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: LOCAL_AWS_ENV.AWS_SECRET_ACCESS_KEY },
  });
  return {
    bus,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    put: async (entries) => {
      await client.send(
        new PutEventsCommand({ Entries: entries.map(([DetailType, detail]) => ({ Source: 'service-registry', DetailType, Detail: JSON.stringify(detail) })) }),
      );
    },
    stop: async () => {
      client.destroy();
      await bus.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('local event bus feed', () => {
  it('sends a scoped subscriber its services, resync events naming one of them, and protection events', async () => {
    const feed = await feedServer();
    try {
      const orders = await subscribe(feed.url, '', { 'x-read': 'orders' });
      await feed.put([
        ['Instance Registered', { service: 'payments', instanceId: 'p' }],
        ['Registry Resync Required', { services: ['payments'] }],
        ['Registry Protection Engaged', { engaged: true }],
        ['Registry Resync Required', { services: ['orders', 'payments'] }],
        ['Instance Registered', { service: 'orders', instanceId: 'o' }],
      ]);
      const got = [await orders.next(), await orders.next(), await orders.next()];
      expect(got.map((m) => m.event)).toEqual(['Registry Protection Engaged', 'Registry Resync Required', 'Instance Registered']);
      expect(got[1]!.data.detail.services).toEqual(['orders', 'payments']);
      orders.close();
    } finally {
      await feed.stop();
    }
  });

  it('numbers events above every id an earlier bus issued, so a Last-Event-ID from before a restart gets event: resync', async () => {
    const earlier = await feedServer();
    const old = await subscribe(earlier.url);
    await earlier.put([['Instance Registered', { service: 'orders', instanceId: 'a' }]]);
    const oldId = Number((await old.next()).id);
    old.close();
    await earlier.stop();

    const later = await feedServer();
    try {
      await later.put([['Instance Registered', { service: 'orders', instanceId: 'b' }]]);
      const resumed = await subscribe(later.url, '', { 'last-event-id': String(oldId) });
      expect((await resumed.next()).event).toBe('resync');
      const replayed = await resumed.next();
      expect(replayed.data.detail.instanceId).toBe('b');
      expect(Number(replayed.id)).toBeGreaterThan(oldId);
      resumed.close();
    } finally {
      await later.stop();
    }
  });
});
