/**
 * The history's storage against a real DynamoDB Local: two items per change under stable keys, reads that skip
 * expired items without short pages, the deregistration's caller stamp, and the stream filter keeping history
 * writes (and the stamp) from both stream consumers.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { DynamoDbHistoryStore, toHistoryChange } from '../../../lambdas/adapters/dynamodb-history-store.js';
import { DynamoDbInstanceStore } from '../../../lambdas/adapters/dynamodb-store.js';
import { historyItemOf, type HistoryItem } from '../../../lambdas/domain/history.js';
import { draftInstance } from '../../../lambdas/domain/instance.js';
import { streamFilterPatterns } from '../../../lambdas/stream-filter.js';
import { historyPartition } from '../../../lambdas/table.js';
import { bootstrapTable } from '../../../local/bootstrap-table.js';
import { LOCAL_AWS_ENV } from '../../../local/dynamodb-local.js';
import { passesFilters } from '../../../local/event-pattern.js';
import { registerBody } from '@service-registry/contracts';

const tableName = `history-${randomUUID()}`;
const sent: Array<{ command: string; input: any }> = [];
const raw = new DynamoDBClient({
  endpoint: process.env.TEST_DYNAMODB_ENDPOINT,
  region: LOCAL_AWS_ENV.AWS_REGION,
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
raw.middlewareStack.add((next, context) => async (args) => {
  sent.push({ command: context.commandName as string, input: args.input });
  return next(args);
});
const client = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
const NOW = Date.now();
const entry = (instanceId: string, revision: number, atMs: number): HistoryItem => ({
  service: 'orders',
  instanceId,
  revision,
  detailType: 'Instance Updated',
  changed: ['weight'],
  reason: 'patched',
  principal: 'alice',
  time: new Date(atMs).toISOString(),
  atMs,
});
const partition = async (pk: string) =>
  (await client.send(new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk } }))).Items ?? [];

beforeAll(async () => {
  await bootstrapTable(raw, tableName);
});
afterAll(() => raw.destroy());
beforeEach(() => {
  sent.length = 0;
});

it('writes each change as two items (service and instance), and a second write of it overwrites them', async () => {
  const store = new DynamoDbHistoryStore(client, tableName, 30);
  const items = [entry('a', 11, NOW - 2000), entry('b', 21, NOW - 1000)];
  await store.put(items);
  expect(sent.map((s) => s.command)).toEqual(Array(4).fill('PutItemCommand')); // 2 write units per change (items < 1 KB)
  // The largest item (a 128-character instance id, a role ARN as principal) stays under 1 KB: 1 write unit each
  const longest = {
    ...entry('x'.repeat(128), 1_800_000_000_000_001, NOW),
    principal: `arn:aws:iam::123456789012:role/${'r'.repeat(64)}`,
    changed: ['address', 'port', 'protocol', 'zone', 'weight', 'tags', 'metadata', 'status', 'healthCheck', 'leaseSeconds'],
  };
  sent.length = 0;
  await store.put([longest]);
  const bytes = (item: Record<string, unknown>) =>
    Object.entries(item).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(typeof v === 'string' ? v : JSON.stringify(v)), 0);
  for (const put of sent) expect(bytes(put.input.Item)).toBeLessThan(1024);
  await store.put(items); // a retried batch
  expect(await partition(historyPartition('orders'))).toHaveLength(3);
  expect(await partition(historyPartition('orders', 'a'))).toHaveLength(1);
});

it('fills a page past items whose retention ran out, and says more follow only when they may', async () => {
  // Prepare: newest first: 3 live, 4 expired, 2 live
  const service = `svc-${randomUUID().slice(0, 8)}`;
  const at = (n: number) => NOW - n * 1000;
  const live = new DynamoDbHistoryStore(client, tableName, 30);
  const dead = new DynamoDbHistoryStore(client, tableName, 1); // 1 day of retention, written 2 days back
  await live.put([1, 2, 3, 8, 9].map((n) => ({ ...entry(`i-${n}`, n, at(n)), service })));
  await dead.put(
    [4, 5, 6, 7].map((n) => ({
      ...entry(`i-${n}`, n, at(n) - 2 * 86_400_000),
      service,
      time: new Date(at(n) - 2 * 86_400_000).toISOString(),
      atMs: at(n) - 2 * 86_400_000,
    })),
  );
  // Act
  const first = await live.page({ service, limit: 4, nowMs: NOW });
  const second = await live.page({ service, limit: 4, nowMs: NOW, cursor: first.cursor! });
  // Assess
  expect(first.items.map((i) => i.revision)).toEqual([1, 2, 3, 8]);
  expect(first.cursor).toBeDefined();
  expect(second.items.map((i) => i.revision)).toEqual([9]);
  expect(second.cursor).toBeUndefined();
});

it('stamps a deregistration with its caller before deleting, so the delete names who removed the instance', async () => {
  // Prepare: alice's instance
  const store = new DynamoDbInstanceStore(client, tableName);
  const key = { service: 'orders', instanceId: 'dereg' };
  const draft = draftInstance(key, registerBody.parse({ address: '10.0.0.1', port: 80 }), 'alice', NOW);
  expect((await store.register(draft, { owner: 'alice', nowMs: NOW, principal: 'alice' })).ok).toBe(true);
  sent.length = 0;
  // Act: an admin deregisters it
  const removed = await store.remove(key, { owner: undefined, nowMs: NOW, principal: 'root' });
  // Assess: stamp then delete, and the deleted item (the stream's old image) names the admin
  expect(removed.ok).toBe(true);
  expect(sent.map((s) => s.command)).toEqual(['UpdateItemCommand', 'DeleteItemCommand']);
  expect(await store.get(key)).toBeUndefined();
  const deleteInput = sent[1]!.input;
  expect(Object.values(deleteInput.ExpressionAttributeValues)).toEqual(expect.arrayContaining(['deregister', 'root']));
});

it('keeps history writes and the deregistration stamp from both stream consumers', () => {
  const record = (eventName: string, pk: string, sk: string, lastWrite?: string) => ({
    eventName,
    dynamodb: { Keys: { pk: { S: pk }, sk: { S: sk } }, ...(lastWrite && { NewImage: { lastWrite: { S: lastWrite } } }) },
  });
  const sk = `${new Date(NOW).toISOString()}#a#00000000000000011`;
  expect(passesFilters(streamFilterPatterns, record('INSERT', historyPartition('orders'), sk))).toBe(false);
  expect(passesFilters(streamFilterPatterns, record('MODIFY', historyPartition('orders', 'a'), sk))).toBe(false);
  expect(passesFilters(streamFilterPatterns, record('REMOVE', historyPartition('orders'), sk))).toBe(false); // TTL deletes
  expect(passesFilters(streamFilterPatterns, record('MODIFY', 'SVC#orders', 'INST#a', 'deregister'))).toBe(false);
  expect(passesFilters(streamFilterPatterns, record('MODIFY', 'SVC#orders', 'INST#a', 'patch'))).toBe(true);
});

it('stamps again when a write lands between the stamp and the delete, so the delete still names its caller', async () => {
  // Prepare: alice's instance, and a patch by alice that lands right after the admin's first stamp
  const key = { service: 'orders', instanceId: 'raced' };
  const owner = new DynamoDbInstanceStore(client, tableName);
  const draft = draftInstance(key, registerBody.parse({ address: '10.0.0.1', port: 80 }), 'alice', NOW);
  expect((await owner.register(draft, { owner: 'alice', nowMs: NOW, principal: 'alice' })).ok).toBe(true);
  const racing = new DynamoDBClient({
    endpoint: process.env.TEST_DYNAMODB_ENDPOINT,
    region: LOCAL_AWS_ENV.AWS_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  let interfered = false;
  racing.middlewareStack.add((next, context) => async (args) => {
    const result = await next(args);
    if (context.commandName === 'UpdateItemCommand' && !interfered) {
      interfered = true;
      await owner.patch(key, { weight: 9 }, { owner: 'alice', nowMs: NOW, principal: 'alice' });
    }
    return result;
  });
  const admin = new DynamoDbInstanceStore(DynamoDBDocumentClient.from(racing, { marshallOptions: { removeUndefinedValues: true } }), tableName);
  sent.length = 0;
  // Act
  const removed = await admin.remove(key, { owner: undefined, nowMs: NOW, principal: 'root' });
  racing.destroy();
  // Assess: the first delete was refused (alice's patch came between), the pair ran again and removed the patched item
  expect(removed.ok).toBe(true);
  expect(interfered).toBe(true);
  expect(removed.ok && removed.previous?.weight).toBe(9);
  expect(await owner.get(key)).toBeUndefined();
});

it("records a DynamoDB TTL deletion (the stream's userIdentity is dynamodb.amazonaws.com) as registry:ttl", () => {
  // GIVEN the REMOVE record DynamoDB writes when TTL deletes a lapsed instance that was last written by alice
  const old = {
    pk: 'SVC#orders',
    sk: 'INST#gone',
    ...draftInstance({ service: 'orders', instanceId: 'gone' }, registerBody.parse({ address: '10.0.0.1', port: 80 }), 'alice', NOW),
    revision: 7,
    lastWrite: 'heartbeat',
    lastWriter: 'alice',
  };
  const record = {
    eventName: 'REMOVE',
    userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
    dynamodb: {
      Keys: marshall({ pk: old.pk, sk: old.sk }),
      OldImage: marshall(old, { removeUndefinedValues: true }),
      SequenceNumber: '42',
      ApproximateCreationDateTime: Math.floor(NOW / 1000) + 7200,
    },
  } as unknown as DynamoDBRecord;
  // WHEN it is mapped
  const item = historyItemOf(toHistoryChange(record, 0));
  // THEN the entry names TTL, one revision past the last
  expect(item).toMatchObject({ detailType: 'Instance Expired', reason: 'ttl', principal: 'registry:ttl', revision: 8, instanceId: 'gone' });
});
