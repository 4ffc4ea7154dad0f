/**
 * Change history through the local runtime over HTTP: every kind of change leaves an entry naming who made it
 * (callers, the prober, the sweeper), newest first, paginated, filtered, scoped like discovery, expiring.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbHistoryStore } from '../../../lambdas/adapters/dynamodb-history-store.js';
import { historyPartition } from '../../../lambdas/table.js';
import { localClientConfig } from '../../../local/dynamodb-local.js';
import type { LocalRuntime } from '../../../local/runtime.js';
import { apiClient, sleep, startTestRuntime } from '../../support.js';

const tokens = {
  'alice-token-0123456789': { principal: 'alice', services: ['orders', 'leases', 'web'], admin: false },
  'root-token-0123456789a': { principal: 'root', services: [], admin: true },
  'carol-token-0123456789': { principal: 'carol', services: ['payments'], admin: false },
  'gw-token-0123456789abcd': { principal: 'gateway', services: [], read: ['orders'], admin: false },
};

let runtime: LocalRuntime;
let server: Server;
let healthPort: number;
const as = (token: string) => apiClient(runtime.url, token);
const alice = () => as('alice-token-0123456789');
const root = () => as('root-token-0123456789a');
const body = { address: '10.0.0.1', port: 80, leaseSeconds: 600 };

let authDir: string | undefined;
beforeAll(async () => {
  server = createServer((_req, res) => res.writeHead(200).end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  healthPort = (server.address() as AddressInfo).port;
  authDir = mkdtempSync(join(tmpdir(), 'registry-history-'));
  const authFile = join(authDir, 'auth.json');
  writeFileSync(authFile, JSON.stringify({ tokens }));
  runtime = await startTestRuntime({ authFile, probeIntervalSeconds: 1, streamRetryBaseMs: 10, history: true });
});
afterAll(async () => {
  await runtime.stop();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  if (authDir) rmSync(authDir, { recursive: true, force: true });
});

interface Entry {
  service: string;
  instanceId: string;
  revision: number;
  detailType: string;
  changed: string[];
  reason: string;
  principal: string;
  time: string;
}

async function history(service: string, query = '', token = 'root-token-0123456789a') {
  return as(token).call('GET', `/v1/services/${service}/history${query ? `?${query}` : ''}`);
}

/** Waits (deadline-bound) until the history holds an entry matching `predicate`; returns that entry. */
async function entry(service: string, instanceId: string, predicate: (e: Entry) => boolean, timeoutMs = 10_000): Promise<Entry> {
  const deadline = Date.now() + timeoutMs;
  let seen: Entry[] = [];
  while (Date.now() < deadline) {
    const reply = await history(service, `instanceId=${instanceId}`);
    expect(reply.status).toBe(200);
    seen = reply.body.entries;
    const found = seen.find(predicate);
    if (found) return found;
    await sleep(100);
  }
  throw new Error(`no matching history entry for ${service}/${instanceId} within ${timeoutMs} ms; saw ${JSON.stringify(seen)}`);
}

describe('principals', () => {
  it('records a registration, a replacement and a drain with the principal who made each, not the owner', async () => {
    // Prepare: alice registers and replaces; an admin drains her instance
    const registered = await alice().register('orders', 'o-1', body);
    expect(registered.status).toBe(201);
    const replaced = await alice().register('orders', 'o-1', { ...body, port: 81 });
    const drained = await root().patch('orders', 'o-1', { status: 'DRAINING' });
    expect(drained.status).toBe(200);
    // Assess
    expect(await entry('orders', 'o-1', (e) => e.revision === registered.body.revision)).toMatchObject({
      detailType: 'Instance Registered',
      reason: 'registered',
      principal: 'alice',
      changed: [],
    });
    expect(await entry('orders', 'o-1', (e) => e.revision === replaced.body.revision)).toMatchObject({
      detailType: 'Instance Updated',
      reason: 'replaced',
      principal: 'alice',
      changed: ['port'],
    });
    const drain = await entry('orders', 'o-1', (e) => e.revision === drained.body.revision);
    expect(drain).toMatchObject({
      service: 'orders',
      instanceId: 'o-1',
      detailType: 'Instance Updated',
      reason: 'patched',
      principal: 'root',
      changed: ['status'],
    });
    expect(Date.parse(drain.time)).toBe(Date.parse(drained.body.updatedAt));
  });

  it("records a deregistration by the caller: the owner's own, and an admin's of someone else's instance", async () => {
    await alice().register('orders', 'o-own', body);
    await alice().register('orders', 'o-admin', body);
    expect((await alice().deregister('orders', 'o-own')).status).toBe(204);
    expect((await root().deregister('orders', 'o-admin')).status).toBe(204);
    expect(await entry('orders', 'o-own', (e) => e.detailType === 'Instance Deregistered')).toMatchObject({ principal: 'alice', reason: 'deregistered' });
    expect(await entry('orders', 'o-admin', (e) => e.detailType === 'Instance Deregistered')).toMatchObject({ principal: 'root', reason: 'deregistered' });
  });

  it('writes no entry for a heartbeat (a lease renewal changes nothing a reader sees)', async () => {
    const registered = await alice().register('orders', 'o-hb', { ...body, leaseSeconds: 60 });
    await entry('orders', 'o-hb', (e) => e.revision === registered.body.revision);
    for (let n = 0; n < 3; n++) expect((await alice().heartbeat('orders', 'o-hb')).status).toBe(200);
    // A later change, so everything before it has been through the stream when its entry shows
    const patched = await alice().patch('orders', 'o-hb', { weight: 5 });
    await entry('orders', 'o-hb', (e) => e.revision === patched.body.revision);
    const entries = (await history('orders', 'instanceId=o-hb')).body.entries as Entry[];
    expect(entries.map((e) => e.detailType)).toEqual(['Instance Updated', 'Instance Registered']);
  });

  it("records the sweeper's removal of an expired lease as registry:sweeper", async () => {
    await alice().register('leases', 'gone-soon', { address: '10.0.0.1', port: 80, leaseSeconds: 2 });
    expect(await entry('leases', 'gone-soon', (e) => e.detailType === 'Instance Expired', 15_000)).toMatchObject({
      principal: 'registry:sweeper',
      reason: 'lease-expired',
    });
  }, 20_000);

  it("records the prober's health mark as registry:prober", async () => {
    const check = { type: 'http', path: '/health', intervalSeconds: 1, timeoutSeconds: 1, healthyThreshold: 1 };
    expect((await alice().register('web', 'w-1', { address: '127.0.0.1', port: healthPort, healthCheck: check })).status).toBe(201);
    expect(await entry('web', 'w-1', (e) => e.detailType === 'Instance Health Changed', 15_000)).toMatchObject({
      principal: 'registry:prober',
      reason: 'health-check',
      changed: ['health'],
    });
  }, 20_000);
});

describe('reading', () => {
  let revisions: number[];

  beforeAll(async () => {
    // Prepare: one instance with 5 changes, and another instance's changes in between
    revisions = [(await alice().register('orders', 'p-1', body)).body.revision];
    for (let weight = 1; weight <= 4; weight++) {
      await alice().register('orders', `q-${weight}`, body);
      revisions.push((await alice().patch('orders', 'p-1', { weight })).body.revision);
    }
    await entry('orders', 'p-1', (e) => e.revision === revisions[4]);
  });

  it('answers newest first, a page at a time, with a cursor while more follow', async () => {
    const pages: Entry[][] = [];
    let cursor: string | undefined;
    do {
      const reply = await history('orders', `instanceId=p-1&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(reply.status).toBe(200);
      pages.push(reply.body.entries);
      cursor = reply.body.cursor;
    } while (cursor);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat().map((e) => e.revision)).toEqual([...revisions].reverse());
  });

  it("holds every instance's changes under the service, newest first, and only one instance's with instanceId", async () => {
    const all = (await history('orders', 'limit=1000')).body.entries as Entry[];
    expect(all.some((e) => e.instanceId === 'q-1')).toBe(true);
    const times = all.map((e) => Date.parse(e.time));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const one = (await history('orders', 'instanceId=q-1')).body.entries as Entry[];
    expect(one.map((e) => e.instanceId)).toEqual(['q-1']);
  });

  it('answers only changes at or after `since`, an ISO time or a duration', async () => {
    const entries = (await history('orders', 'instanceId=p-1')).body.entries as Entry[];
    const third = entries[2]!; // the middle change
    const since = (await history('orders', `instanceId=p-1&since=${encodeURIComponent(third.time)}`)).body.entries as Entry[];
    expect(since.map((e) => e.revision)).toEqual(entries.slice(0, 3).map((e) => e.revision));
    expect((await history('orders', 'instanceId=p-1&since=1h')).body.entries).toHaveLength(5);
    expect((await history('orders', `instanceId=p-1&since=${new Date(Date.now() + 60_000).toISOString()}`)).body.entries).toEqual([]);
  });

  it('is readable by whoever may discover the service, and a 403 for anyone else', async () => {
    expect((await history('orders', '', 'gw-token-0123456789abcd')).status).toBe(200);
    const refused = await history('orders', '', 'carol-token-0123456789');
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain("may not read service 'orders'");
  });

  it.each([
    ['limit=0', 'query.limit'],
    ['limit=1001', 'query.limit'],
    ['since=yesterday', 'query.since'],
    ['cursor=bm90LWEtY3Vyc29y', 'query.cursor'],
    ['instanceId=bad%20id', 'query.instanceId'],
    ['colour=red', 'query.colour'],
  ])('answers 400 naming the field for %s', async (query, field) => {
    const reply = await history('orders', query);
    expect(reply.status).toBe(400);
    expect(reply.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
  });

  it('never shows history items in the service list or in discovery', async () => {
    // Prepare: a service of its own whose changes (a registration, a patch, a removal) left history items
    const kept = await root().register('hidden', 'h-1', body);
    await root().register('hidden', 'h-2', body);
    await root().patch('hidden', 'h-1', { weight: 7 });
    await root().deregister('hidden', 'h-2');
    await entry('hidden', 'h-1', (e) => e.revision > kept.body.revision);
    await entry('hidden', 'h-2', (e) => e.detailType === 'Instance Deregistered');
    const services = (await root().services()).body.services.map((s: { service: string }) => s.service);
    expect(services.every((s: string) => !s.includes('#'))).toBe(true);
    expect(services).toContain('hidden');
    const ids = (await root().discover('hidden', 'status=all&limit=1000')).body.instances.map((i: { instanceId: string }) => i.instanceId);
    expect(ids).toEqual(['h-1']);
    // The connectors read the same summaries and instance pages
    const prometheus = await root().call('GET', '/v1/sd/prometheus');
    expect(prometheus.status).toBe(200);
    expect(JSON.stringify(prometheus.body)).not.toContain('HISTORY');
    const eureka = await root().call('GET', '/eureka/v2/apps', undefined, { accept: 'application/json' });
    expect(eureka.status).toBe(200);
    expect(JSON.stringify(eureka.body)).toContain('"name":"HIDDEN"');
    expect(JSON.stringify(eureka.body)).not.toContain('HISTORY');
  });
});

describe('retention', () => {
  const documents = () => DynamoDBDocumentClient.from(new DynamoDBClient(localClientConfig(runtime.dynamoEndpoint)));

  it('sets each item to expire 30 days (REGISTRY_HISTORY_RETENTION_DAYS) after its change, under both keys', async () => {
    const registered = await alice().register('orders', 'r-1', body);
    const found = await entry('orders', 'r-1', (e) => e.revision === registered.body.revision);
    const client = documents();
    for (const pk of [historyPartition('orders'), historyPartition('orders', 'r-1')]) {
      const out = await client.send(
        new QueryCommand({ TableName: runtime.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk } }),
      );
      const item = out.Items!.find((i) => i.revision === registered.body.revision)!;
      expect(item.ttl).toBe(Math.ceil(Date.parse(found.time) / 1000) + 30 * 86_400);
    }
    client.destroy();
  });

  it('never answers an item past its retention, though DynamoDB TTL has not deleted it yet', async () => {
    // Prepare: two entries 31 days old, one kept 30 days (expired) and one kept 60 (not); DynamoDB Local runs no TTL
    const client = documents();
    const atMs = Date.now() - 31 * 86_400_000;
    const old = {
      service: 'archive',
      detailType: 'Instance Registered',
      changed: [],
      reason: 'registered',
      principal: 'alice',
      time: new Date(atMs).toISOString(),
      atMs,
    };
    await new DynamoDbHistoryStore(client, runtime.tableName, 30).put([{ ...old, instanceId: 'expired', revision: 1 }]);
    await new DynamoDbHistoryStore(client, runtime.tableName, 60).put([{ ...old, instanceId: 'kept', revision: 1 }]);
    client.destroy();
    // Act / Assess
    const entries = (await history('archive')).body.entries as Entry[];
    expect(entries.map((e) => e.instanceId)).toEqual(['kept']);
  });
});
