/**
 * A registry-side outage must not empty discovery: while the lease guard is engaged, reads keep serving instances
 * whose lease ran out, marked; writes still treat them as gone. Before the prober has judged a mass expiry, reads
 * judge it provisionally. Through the local runtime over HTTP, with the guard's state item written as the prober
 * writes it (the prober itself is off, so nothing else moves; its interval, 1 s, bounds the provisional window).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbProberStore } from '../../../lambdas/adapters/dynamodb-prober-store.js';
import { toInstance } from '../../../lambdas/adapters/items.js';
import type { ProtectionState } from '../../../lambdas/domain/protection.js';
import { instanceItemKey } from '../../../lambdas/table.js';
import { LOCAL_AWS_ENV } from '../../../local/dynamodb-local.js';
import type { LocalRuntime } from '../../../local/runtime.js';
import { apiClient, sleep, startTestRuntime, subscribe } from '../../support.js';

let runtime: LocalRuntime;
let api: ReturnType<typeof apiClient>;
let raw: DynamoDBClient;
let doc: DynamoDBDocumentClient;
let prober: DynamoDbProberStore;
/** GetItem requests the handlers sent (the guard's state item is the only thing discovery ever gets). */
let gets = 0;

const body = { address: '10.0.0.1', port: 80 };
const FLEET = 100;
const fleetIds = Array.from({ length: FLEET }, (_, i) => `i-${String(i).padStart(3, '0')}`);

/** When the guard engaged in these tests: a moment ago (reads stop trusting an engagement past its maximum). */
const SINCE_MS = Date.now() - 60_000;
const SINCE = new Date(SINCE_MS).toISOString();

/** Writes the guard's state item exactly as the prober does. */
const guard = (state: Partial<ProtectionState>) =>
  prober.setProtection(0, {
    engaged: false,
    probeEngaged: false,
    leaseEngaged: false,
    failedTargets: 0,
    probedTargets: 0,
    expiredLeases: FLEET,
    leasedInstances: FLEET,
    atMs: SINCE_MS,
    ...state,
  });

beforeAll(async () => {
  runtime = await startTestRuntime({ prober: false, probeIntervalSeconds: 1 });
  api = apiClient(runtime.url);
  raw = new DynamoDBClient({
    endpoint: runtime.dynamoEndpoint,
    region: LOCAL_AWS_ENV.AWS_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  doc = DynamoDBDocumentClient.from(raw);
  prober = new DynamoDbProberStore(doc, runtime.tableName);
  // The client the runtime's functions use.
  runtime.dynamodb.middlewareStack.add((next, context) => async (args) => {
    if (context.commandName === 'GetItemCommand') gets++;
    return next(args);
  });
});
afterAll(async () => {
  raw.destroy();
  await runtime.stop();
});

describe('mass lease expiry while the lease guard is engaged', () => {
  let liveEtag: string;
  let expiredAt: number[];

  beforeAll(async () => {
    const registerAll = (leaseSeconds: number) => Promise.all(fleetIds.map((id) => api.register('fleet', id, { ...body, leaseSeconds })));
    // First with long leases, so the whole fleet is live when discovered however slowly it registered.
    expect((await registerAll(600)).every((r) => r.status === 201)).toBe(true);
    gets = 0;
    const live = await api.discover('fleet', 'limit=1000');
    expect(live.body.instances).toHaveLength(FLEET);
    expect(live.body).not.toHaveProperty('protection');
    // A steady fleet pays no extra read: nothing expired was met, so the guard's item was never read.
    expect(gets).toBe(0);
    // Then every instance renews its registration with a short lease, and nobody heartbeats after that.
    const replies = await registerAll(2);
    expect(replies.every((r) => r.status === 200)).toBe(true);
    liveEtag = (await api.discover('fleet', 'limit=1000')).headers.get('etag')!;
    expiredAt = replies.map((r) => Date.parse(r.body.leaseExpiresAt));
    await sleep(Math.max(...expiredAt) - Date.now() + 50);
  }, 60_000);

  it('keeps them provisionally, marked, before the prober has judged the mass expiry, and says so', async () => {
    const res = await api.discover('fleet', 'limit=1000');
    expect(res.body.instances.map((i: { instanceId: string }) => i.instanceId)).toEqual(fleetIds);
    for (const instance of res.body.instances) expect(instance).toMatchObject({ leaseExpired: true, health: 'unknown' });
    expect(res.body.protection).toEqual({
      engaged: true,
      leases: true,
      probes: false,
      since: new Date(Math.min(...expiredAt)).toISOString(),
      provisional: true,
    });
    expect(res.headers.get('etag')).not.toBe(liveEtag);
    expect((await api.get('fleet', fleetIds[0]!)).body).toMatchObject({ leaseExpired: true, health: 'unknown' });
  });

  it('drops every expired instance when the guard is not engaged', async () => {
    // Past the provisional window (two 1 s rounds plus 10 s): the prober had its chance to judge them.
    await sleep(Math.max(...expiredAt) + 12_200 - Date.now());
    const res = await api.discover('fleet', 'limit=1000');
    expect(res.body.instances).toHaveLength(0);
    expect(res.body).not.toHaveProperty('protection');
    expect((await api.get('fleet', fleetIds[0]!)).status).toBe(404);
    expect((await api.discover('fleet', 'status=all&limit=1000')).body.instances).toHaveLength(0);
  }, 30_000);

  it('keeps serving all of them, marked leaseExpired with health unknown, and says the guard is engaged since the lease guard engaged', async () => {
    // The state changed later (the probe guard let go, say) than the lease guard engaged: `since` is the latter.
    await guard({ engaged: true, leaseEngaged: true, atMs: SINCE_MS + 30_000, leaseSinceMs: SINCE_MS });
    gets = 0;
    const res = await api.discover('fleet', 'limit=1000');
    expect(res.status).toBe(200);
    expect(res.body.instances.map((i: { instanceId: string }) => i.instanceId)).toEqual(fleetIds);
    for (const instance of res.body.instances) expect(instance).toMatchObject({ leaseExpired: true, health: 'unknown' });
    expect(res.body.protection).toEqual({ engaged: true, leases: true, probes: false, since: SINCE });
    expect(gets).toBe(1); // the guard's item, read once for the whole page
    expect(res.headers.get('etag')).not.toBe(liveEtag); // a cache holding the unmarked list must not get a 304
    expect((await api.discover('fleet', 'status=all&limit=1000')).body.instances).toHaveLength(FLEET);
    expect((await api.discover('fleet', 'limit=30')).body.instances).toHaveLength(30);
  });

  it('serves get-instance marked too, while writes still treat the lease as gone', async () => {
    const got = await api.get('fleet', fleetIds[1]!);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ instanceId: fleetIds[1], leaseExpired: true, health: 'unknown' });
    expect((await api.heartbeat('fleet', fleetIds[1]!)).status).toBe(404); // the agent registers again
    expect((await api.patch('fleet', fleetIds[1]!, { weight: 1 })).status).toBe(404);
    expect((await api.deregister('fleet', fleetIds[1]!)).status).toBe(404);
    const again = await api.register('fleet', fleetIds[1]!, { ...body, leaseSeconds: 60 });
    expect(again.status).toBe(201);
    expect(again.body).not.toHaveProperty('leaseExpired');
    const res = await api.discover('fleet', 'limit=1000');
    const marked = res.body.instances.filter((i: { leaseExpired?: true }) => i.leaseExpired).length;
    expect([res.body.instances.length, marked]).toEqual([FLEET, FLEET - 1]);
  });

  it('stops trusting a lease guard engaged for longer than its maximum (a prober that died while engaged)', async () => {
    const longAgo = Date.now() - 3 * 3600_000;
    await guard({ engaged: true, leaseEngaged: true, atMs: longAgo, leaseSinceMs: longAgo });
    const res = await api.discover('fleet', 'limit=1000');
    expect(res.body.instances.map((i: { instanceId: string }) => i.instanceId)).toEqual([fleetIds[1]]); // the re-registered one
    expect(res.body).not.toHaveProperty('protection');
    expect((await api.get('fleet', fleetIds[0]!)).status).toBe(404);
  });

  it('drops them again once only the probe guard is engaged, and says so on the empty answer', async () => {
    await guard({ engaged: true, leaseEngaged: false, probeEngaged: true });
    const res = await api.discover('fleet', 'limit=1000');
    expect(res.body.instances.map((i: { instanceId: string }) => i.instanceId)).toEqual([fleetIds[1]]); // the re-registered one
    expect(res.body.protection).toEqual({ engaged: true, leases: false, probes: true, since: SINCE });
    expect((await api.discover('nobody-here')).body.protection).toMatchObject({ engaged: true, probes: true });
    expect((await api.get('fleet', fleetIds[0]!)).status).toBe(404);
  });

  it('drops them again, with no protection status, once the guard lets go', async () => {
    await guard({ engaged: false });
    const res = await api.discover('fleet', 'limit=1000');
    expect(res.body.instances).toHaveLength(1);
    expect(res.body).not.toHaveProperty('protection');
    expect((await api.discover('nobody-here')).body).not.toHaveProperty('protection');
  });
});

describe('DELETE of an instance whose lease has expired', () => {
  it('answers 404, leaves the item for the sweeper and publishes no Instance Deregistered', async () => {
    const feed = await subscribe(runtime.url, 'service=lapsed');
    try {
      await api.register('lapsed', 'x', { ...body, leaseSeconds: 2 });
      await feed.next((m) => m.event === 'Instance Registered' && m.data.detail.instanceId === 'x');
      await sleep(2100);
      const reply = await api.deregister('lapsed', 'x');
      expect(reply.status).toBe(404);
      expect(reply.body.error.code).toBe('INSTANCE_NOT_FOUND');
      const item = await doc.send(new GetCommand({ TableName: runtime.tableName, Key: instanceItemKey('lapsed', 'x') }));
      expect(toInstance(item.Item!)).toMatchObject({ instanceId: 'x' }); // still there: the sweeper removes it as an expiry
      // A later change in the same service arrives after anything the DELETE could have published.
      await api.register('lapsed', 'marker', body);
      await feed.next((m) => m.data.detail.instanceId === 'marker');
      expect(feed.messages.filter((m) => m.event === 'Instance Deregistered')).toEqual([]);
    } finally {
      feed.close();
    }
  });
});
