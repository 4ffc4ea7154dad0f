/** The DynamoDB adapter against a real DynamoDB Local: what each write sends, and what it leaves in the item. */
import { streamPosition } from '../../../lambdas/domain/stream-counters.js';
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbInstanceStore } from '../../../lambdas/adapters/dynamodb-store.js';
import { COMPACT_ATTRIBUTE, COMPACT_FIELDS, OWN_ATTRIBUTE_FIELDS, toInstance } from '../../../lambdas/adapters/items.js';
import { DynamoDbProberStore } from '../../../lambdas/adapters/dynamodb-prober-store.js';
import { draftInstance, nextInstance, type Instance, type InstanceKey } from '../../../lambdas/domain/instance.js';
import { registerBody } from '@service-registry/contracts';
import { instanceItemKey, protectionItemKey } from '../../../lambdas/table.js';
import { bootstrapTable } from '../../../local/bootstrap-table.js';
import { LOCAL_AWS_ENV } from '../../../local/dynamodb-local.js';

const tableName = `store-${randomUUID()}`;
const sent: string[] = [];
const raw = new DynamoDBClient({
  endpoint: process.env.TEST_DYNAMODB_ENDPOINT,
  region: LOCAL_AWS_ENV.AWS_REGION,
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
raw.middlewareStack.add((next, context) => async (args) => {
  sent.push(context.commandName as string);
  return next(args);
});
const client = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
const store = new DynamoDbInstanceStore(client, tableName);
const NOW = Date.now();
const key = { service: 'orders', instanceId: 'a' };
const draft = (extra: object = {}, owner = 'alice', now = NOW) =>
  draftInstance(key, registerBody.parse({ address: '10.0.0.1', port: 80, ...extra }), owner, now);
const item = async () => (await client.send(new GetCommand({ TableName: tableName, Key: instanceItemKey(key.service, key.instanceId) }))).Item!;

beforeAll(async () => {
  await bootstrapTable(raw, tableName);
});
afterAll(() => raw.destroy());
beforeEach(() => {
  sent.length = 0;
});

describe('DynamoDbInstanceStore', () => {
  it('registers with one UpdateItem and no read', async () => {
    const result = await store.register(draft({ leaseSeconds: 60 }), { owner: 'alice', nowMs: NOW });
    expect(result).toEqual({ ok: true });
    expect(sent).toEqual(['UpdateItemCommand']);
  });

  it('renews a lease with one UpdateItem that changes only the lease, the TTL and the write marker', async () => {
    const before = await item();
    sent.length = 0;
    const result = await store.heartbeat(key, { owner: 'alice', nowMs: NOW + 5000 });
    expect(sent).toEqual(['UpdateItemCommand']);
    expect(result.ok).toBe(true);
    const after = await item();
    // It answers with the renewed lease and the revision it left alone.
    expect(result).toEqual({ ok: true, instance: { ...key, leaseExpiresAtMs: NOW + 5000 + 60_000, revision: before.revision } });
    expect(after.leaseExpiresAtMs).toBe(NOW + 5000 + 60_000);
    expect(after.ttl).toBe(Math.ceil((NOW + 5000) / 1000) + 3600 + 60);
    expect(after.lastWrite).toBe('heartbeat'); // keeps the renewal from the publisher (stream filter)
    const { leaseExpiresAtMs: _a, ttl: _b, lastWrite: _e, ...rest } = after;
    const { leaseExpiresAtMs: _c, ttl: _d, lastWrite: _f, ...restBefore } = before;
    expect(rest).toEqual(restBefore);
  });

  it('returns the blocking item when a write is refused, so the domain can tell 403 from 404', async () => {
    const refused = await store.patch(key, { weight: 1 }, { owner: 'mallory', nowMs: NOW });
    expect(refused.ok).toBe(false);
    expect(refused.ok === false && refused.current?.owner).toBe('alice');
    const missing = await store.patch({ ...key, instanceId: 'none' }, { weight: 1 }, { owner: 'alice', nowMs: NOW });
    expect(missing).toEqual({ ok: false });
  });

  it('lets anyone take over an expired instance and starts a fresh lease', async () => {
    const later = NOW + 66_000; // the heartbeat above moved expiry to NOW + 65 s
    const result = await store.register(draft({ leaseSeconds: 60 }, 'bob', later), { owner: 'bob', nowMs: later });
    expect(result.ok && result.previous?.owner).toBe('alice');
    expect((await item()).owner).toBe('bob');
  });

  it('removes the probe state and optional fields a re-registration leaves out', async () => {
    await store.register(draft({ zone: 'z', healthCheck: { type: 'tcp' } }, 'bob'), { owner: 'bob', nowMs: NOW });
    expect(toInstance(await item())).toMatchObject({ zone: 'z', healthCheck: { type: 'tcp' } });
    await store.register(draft({}, 'bob'), { owner: 'bob', nowMs: NOW });
    const after = toInstance(await item());
    expect(after).not.toHaveProperty('zone');
    expect(after).not.toHaveProperty('healthCheck');
    expect(after.leaseSeconds).toBe(30);
  });

  it('keeps what a registration alone sets in one compact attribute, and what other writes change as attributes', async () => {
    await store.register(draft({ zone: 'z', tags: ['t'], metadata: { v: '1' }, leaseSeconds: 60 }, 'bob'), { owner: 'bob', nowMs: NOW });
    const stored = await item();
    // The compact attribute alone holds what the registration set.
    expect(toInstance({ [COMPACT_ATTRIBUTE]: stored[COMPACT_ATTRIBUTE] })).toMatchObject({
      service: 'orders',
      instanceId: 'a',
      address: '10.0.0.1',
      zone: 'z',
      tags: ['t'],
      metadata: { v: '1' },
    });
    for (const name of OWN_ATTRIBUTE_FIELDS.filter((n) => n !== 'criticalSinceMs' && n !== 'removal')) expect(stored).toHaveProperty(name);
    for (const name of COMPACT_FIELDS) expect(stored).not.toHaveProperty(name);
  });

  it('reads a patched field over the registration, and a re-registration drops the patch', async () => {
    await store.register(draft({ weight: 5, tags: ['t'] }, 'bob'), { owner: 'bob', nowMs: NOW });
    expect((await store.patch(key, { weight: 9, tags: ['u'] }, { owner: 'bob', nowMs: NOW + 1 })).ok).toBe(true);
    expect(await store.get(key)).toMatchObject({ weight: 9, tags: ['u'] });
    expect((await store.page(key.service, undefined, 10)).items.find((i) => i.instanceId === 'a')).toMatchObject({ weight: 9, tags: ['u'] });
    await store.register(draft({ weight: 5, tags: ['t'] }, 'bob'), { owner: 'bob', nowMs: NOW + 2 });
    expect(await store.get(key)).toMatchObject({ weight: 5, tags: ['t'] });
    expect(await item()).not.toHaveProperty('weight');
  });

  it('reads an item of the first layout (every field an attribute), and a registration over it reads as registered', async () => {
    const oldKey = { service: 'orders', instanceId: 'first-layout' };
    const old = { ...draftInstance(oldKey, registerBody.parse({ address: '10.0.0.9', port: 81, zone: 'old' }), 'bob', NOW), revision: 7 };
    await client.send(new PutCommand({ TableName: tableName, Item: { ...instanceItemKey(oldKey.service, oldKey.instanceId), ...old } }));
    expect(await store.get(oldKey)).toEqual(old);
    const fresh = draftInstance(oldKey, registerBody.parse({ address: '10.0.0.10', port: 82 }), 'bob', NOW + 1);
    expect((await store.register(fresh, { owner: 'bob', nowMs: NOW + 1 })).ok).toBe(true);
    expect(await store.get(oldKey)).toEqual({ ...fresh, revision: 8 });
  });

  it('writes as an admin (no owner to match) on every write route, with no condition left half-built', async () => {
    // DynamoDB refuses a request carrying an ExpressionAttributeNames entry no expression uses; an admin's
    // registration used to build the owner condition's names and then drop the condition.
    const admin = { owner: undefined, nowMs: NOW };
    const adminKey = { service: 'orders', instanceId: 'by-admin' };
    const draftOf = (owner: string) => draftInstance(adminKey, registerBody.parse({ address: '10.0.0.2', port: 80, leaseSeconds: 60 }), owner, NOW);
    expect(await store.register(draftOf('root'), admin)).toEqual({ ok: true });
    await store.register(draftOf('alice'), { owner: 'alice', nowMs: NOW }).then((r) => expect(r.ok).toBe(false)); // root's now
    expect((await store.register(draftOf('root'), admin)).ok).toBe(true);
    expect((await store.patch(adminKey, { weight: 3 }, admin)).ok).toBe(true);
    expect((await store.heartbeat(adminKey, admin)).ok).toBe(true);
    expect((await store.remove(adminKey, admin)).ok).toBe(true);
    expect(await store.remove(adminKey, admin)).toEqual({ ok: false });
  });

  it('refuses to delete an expired instance, returning it so the domain answers 404, and leaves it for the sweeper', async () => {
    const lapsedKey = { service: 'orders', instanceId: 'lapsed' };
    await store.register(draftInstance(lapsedKey, registerBody.parse({ address: '10.0.0.3', port: 80, leaseSeconds: 2 }), 'alice', NOW), {
      owner: 'alice',
      nowMs: NOW,
    });
    const refused = await store.remove(lapsedKey, { owner: 'alice', nowMs: NOW + 2000 });
    expect(refused.ok === false && refused.current?.leaseExpiresAtMs).toBe(NOW + 2000);
    expect(await store.get(lapsedKey)).toMatchObject({ instanceId: 'lapsed' });
    expect((await store.remove(lapsedKey, { owner: 'alice', nowMs: NOW + 1999 })).ok).toBe(true);
  });

  it('reads the guard state item the prober writes, and nothing when it never wrote one', async () => {
    expect(await store.readProtection('any')).toBeUndefined();
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...protectionItemKey(0), kind: 'protection', engaged: true, leaseEngaged: true, probeEngaged: false, atMs: NOW, expiredLeases: 40 },
      }),
    );
    sent.length = 0;
    expect(await store.readProtection('any')).toEqual({ engaged: true, leaseEngaged: true, probeEngaged: false, atMs: NOW });
    expect(sent).toEqual(['GetItemCommand']);
  });

  it('keeps counters per service and lists them from the index', async () => {
    await store.adjustSummary('counted', { total: 3, healthy: 2 });
    await store.adjustSummary('counted', { total: -1, healthy: 0 });
    const page = await store.listSummaries(undefined, 10);
    expect(page.summaries).toContainEqual({ service: 'counted', total: 2, healthy: 2 });
  });

  it("adds a stream batch's counts once: refused, with the stored mark, when the batch was counted before", async () => {
    // GIVEN a batch counted through position 5 (40-digit positions, as the stream counter stores them)
    const at = (n: number) => streamPosition(String(n));
    expect(await store.addStreamCounts('streamed', { total: 2, healthy: 1 }, at(3), at(5))).toEqual({ applied: true });
    // WHEN a replay starting at or before the mark comes
    const replay = await store.addStreamCounts('streamed', { total: 2, healthy: 1 }, at(4), at(7));
    // THEN it is refused and says where the counted records end; records after them are added
    expect(replay).toEqual({ applied: false, mark: at(5) });
    expect(await store.addStreamCounts('streamed', { total: 1, healthy: 1 }, at(6), at(7))).toEqual({ applied: true });
    expect((await store.listSummaries(undefined, 100)).summaries).toContainEqual({ service: 'streamed', total: 3, healthy: 2 });
  });
});

/**
 * The domain states what each write does to an instance once (`nextInstance`); the adapters' update expressions must
 * leave exactly that in the table. Each case writes through the adapter, reads the item back, and compares it with
 * the pure function's answer for the same inputs.
 */
describe('the item each write leaves is the instance nextInstance computes', () => {
  const prober = new DynamoDbProberStore(client, tableName);
  const at = (instanceId: string): InstanceKey => ({ service: 'next', instanceId });
  const registration = (k: InstanceKey, body: object, now: number) =>
    draftInstance(k, registerBody.parse({ address: '10.0.0.1', port: 80, ...body }), 'alice', now);
  const read = async (k: InstanceKey): Promise<Instance> => (await store.get(k))!;
  const guard = (nowMs: number) => ({ owner: 'alice', nowMs, principal: 'alice' });

  it('register: a new instance starts at its first revision', async () => {
    // Prepare
    const k = at('new');
    const draft = registration(k, { zone: 'a', tags: ['x'], metadata: { v: '1' }, healthCheck: { type: 'http' } }, NOW);
    // Act
    expect((await store.register(draft, guard(NOW))).ok).toBe(true);
    // Assess
    expect(await read(k)).toEqual(nextInstance(undefined, { kind: 'register', draft }, NOW));
  });

  it("register: a replace keeps nothing of the instance before, the prober's critical and removal state included", async () => {
    // Prepare: a probe-driven instance in a zone, marked critical by the prober and then for removal
    const k = at('replaced');
    await store.register(registration(k, { zone: 'a', healthCheck: { type: 'tcp' } }, NOW), guard(NOW));
    expect(await prober.changeHealth(k, 'critical', NOW + 1, (await read(k)).revision, NOW + 1)).toBe(true);
    expect(await prober.markForRemoval(k, 'critical', (await read(k)).revision)).toBe(true);
    const previous = await read(k);
    expect(previous).toMatchObject({ criticalSinceMs: NOW + 1, removal: 'critical', zone: 'a' });
    const draft = registration(k, { leaseSeconds: 30 }, NOW + 2);
    // Act
    expect((await store.register(draft, guard(NOW + 2))).ok).toBe(true);
    // Assess
    expect(await read(k)).toEqual(nextInstance(previous, { kind: 'register', draft }, NOW + 2));
  });

  it('patch: the given fields, the update time and the next revision', async () => {
    // Prepare
    const k = at('patched');
    await store.register(registration(k, { tags: ['x'] }, NOW), guard(NOW));
    const previous = await read(k);
    const changes = { status: 'DRAINING', weight: 7, metadata: { v: '2' } } as const;
    // Act
    expect((await store.patch(k, changes, guard(NOW + 3))).ok).toBe(true);
    // Assess
    expect(await read(k)).toEqual(nextInstance(previous, { kind: 'patch', changes }, NOW + 3));
  });

  it('heartbeat: the lease runs again from now, and nothing else moves', async () => {
    // Prepare
    const k = at('renewed');
    await store.register(registration(k, { leaseSeconds: 45 }, NOW), guard(NOW));
    const previous = await read(k);
    // Act
    expect((await store.heartbeat(k, guard(NOW + 4000))).ok).toBe(true);
    // Assess
    expect(await read(k)).toEqual(nextInstance(previous, { kind: 'heartbeat' }, NOW + 4000));
  });

  it('health: the mark, its critical time (cleared when passing again), the update time and the next revision', async () => {
    // Prepare
    const k = at('probed');
    await store.register(registration(k, { healthCheck: { type: 'tcp' } }, NOW), guard(NOW));
    const unknown = await read(k);
    // Act: critical since now, then passing again
    expect(await prober.changeHealth(k, 'critical', NOW + 5, unknown.revision, NOW + 5)).toBe(true);
    const critical = await read(k);
    expect(await prober.changeHealth(k, 'passing', undefined, critical.revision, NOW + 6)).toBe(true);
    // Assess
    expect(critical).toEqual(nextInstance(unknown, { kind: 'health', health: 'critical', criticalSinceMs: NOW + 5 }, NOW + 5));
    expect(await read(k)).toEqual(nextInstance(critical, { kind: 'health', health: 'passing' }, NOW + 6));
  });
});
