/** End to end through the local runtime: registry changes reach an SSE subscriber as typed events. */
import type { LocalRuntime } from '../../../local/runtime.js';
import { apiClient, sleep, startTestRuntime, subscribe } from '../../support.js';

let runtime: LocalRuntime;
let api: ReturnType<typeof apiClient>;
/**
 * A runtime whose stream publisher alone publishes, for the tests of its retries and resync events: with the fast
 * path on, the writing function's copy of an event would meet the injected fault first (and the stream's copy
 * would then go out unhindered: test/e2e/events/fast-path.test.ts).
 */
let backstop: LocalRuntime;

beforeAll(async () => {
  [runtime, backstop] = await Promise.all([startTestRuntime({ probeIntervalSeconds: 1 }), startTestRuntime({ prober: false, fastPublish: false })]);
  api = apiClient(runtime.url);
});
afterAll(async () => {
  await Promise.all([runtime.stop(), backstop.stop()]);
});

const body = { address: '10.0.0.1', port: 80 };

it('publishes Registered, Updated, Deregistered in order with increasing revisions, and nothing for heartbeats', async () => {
  const feed = await subscribe(runtime.url, 'service=orders');
  const created = await api.register('orders', 'e-1', { ...body, leaseSeconds: 30 });
  const registered = await feed.next();
  expect(registered.event).toBe('Instance Registered');
  expect(registered.data).toMatchObject({ source: 'service-registry', 'detail-type': 'Instance Registered' });
  expect(registered.data.detail).toMatchObject({
    schemaVersion: '1.0',
    service: 'orders',
    instanceId: 'e-1',
    revision: created.body.revision,
    reason: 'registered',
  });
  expect(registered.data.detail.instance).toMatchObject({ address: '10.0.0.1', port: 80 });

  await api.heartbeat('orders', 'e-1');
  await api.heartbeat('orders', 'e-1');
  const patched = await api.patch('orders', 'e-1', { weight: 5 });
  const updated = await feed.next();
  expect(updated.event).toBe('Instance Updated'); // the heartbeats in between published nothing
  expect(updated.data.detail).toMatchObject({ changed: ['weight'], revision: patched.body.revision, reason: 'patched' });

  await api.deregister('orders', 'e-1');
  const gone = await feed.next();
  expect(gone.event).toBe('Instance Deregistered');
  expect(gone.data.detail).toMatchObject({ instance: null, revision: patched.body.revision + 1, reason: 'deregistered' });
  expect(Number(gone.id)).toBeGreaterThan(Number(updated.id));
  feed.close();
});

it('publishes every revision bump, so an event-fed revision never lags discovery: an identical re-registration and a patch to the same value', async () => {
  const feed = await subscribe(runtime.url, 'service=noop');
  await api.register('noop', 'n-1', { ...body, weight: 3 });
  await feed.next((m) => m.event === 'Instance Registered');
  const again = await api.register('noop', 'n-1', { ...body, weight: 3 });
  expect(again.status).toBe(200);
  const replaced = await feed.next();
  expect(replaced.event).toBe('Instance Updated');
  expect(replaced.data.detail).toMatchObject({ revision: again.body.revision, changed: [] });
  const same = await api.patch('noop', 'n-1', { weight: 3 });
  const patched = await feed.next();
  expect(patched.data.detail).toMatchObject({ revision: same.body.revision, changed: [] });
  expect((await api.get('noop', 'n-1')).body.revision).toBe(patched.data.detail.revision);
  feed.close();
});

it('answers a Last-Event-ID the feed never issued (ahead of it, as after a restart, or not a number) with event: resync', async () => {
  const all = await subscribe(runtime.url);
  await api.register('ahead', 'a-1', body);
  const latest = await all.next((m) => m.data.detail?.service === 'ahead');
  all.close();
  for (const [i, lastEventId] of [String(Number(latest.id) + 1000), 'not-a-number'].entries()) {
    const resumed = await subscribe(runtime.url, 'service=ahead', { 'last-event-id': lastEventId });
    const first = await resumed.next();
    expect(first.event).toBe('resync');
    // After the resync the feed goes on live from here.
    await api.patch('ahead', 'a-1', { weight: 10 + i });
    expect((await resumed.next()).data.detail).toMatchObject({ service: 'ahead', changed: ['weight'] });
    resumed.close();
  }
});

it('publishes Instance Expired when the sweeper removes an expired lease', async () => {
  const feed = await subscribe(runtime.url, 'service=expiring');
  await api.register('expiring', 'x-1', { ...body, leaseSeconds: 2 });
  await feed.next((m) => m.event === 'Instance Registered');
  const expired = await feed.next((m) => m.event === 'Instance Expired', 8000);
  expect(expired.data.detail).toMatchObject({ service: 'expiring', instanceId: 'x-1', instance: null, reason: 'lease-expired' });
  feed.close();
}, 15_000);

it('filters by service and lets a subscriber resume with Last-Event-ID', async () => {
  const all = await subscribe(runtime.url);
  const onlyA = await subscribe(runtime.url, 'service=svc-a');
  await api.register('svc-b', 'b', body);
  await api.register('svc-a', 'a', body);
  const first = await all.next((m) => m.data.detail.service === 'svc-b');
  await all.next((m) => m.data.detail.service === 'svc-a');
  const a = await onlyA.next();
  expect(a.data.detail.service).toBe('svc-a');
  await sleep(200);
  expect(onlyA.messages.every((m) => m.data.detail.service === 'svc-a')).toBe(true);

  // Reconnect after the first event: the rest is replayed from the buffer.
  await api.patch('svc-b', 'b', { weight: 1 });
  await all.next((m) => m.event === 'Instance Updated');
  const resumed = await subscribe(runtime.url, '', { 'last-event-id': first.id! });
  const replayed = [await resumed.next(), await resumed.next()];
  expect(replayed.map((m) => [m.data.detail.service, m.event])).toEqual([
    ['svc-a', 'Instance Registered'],
    ['svc-b', 'Instance Updated'],
  ]);
  all.close();
  onlyA.close();
  resumed.close();
});

it('publishes Instance Health Changed when the prober marks an instance critical', async () => {
  const feed = await subscribe(runtime.url, 'service=probed');
  // Nothing listens on this port: the TCP probe fails.
  await api.register('probed', 'p-1', {
    address: '127.0.0.1',
    port: 9,
    healthCheck: { type: 'tcp', intervalSeconds: 1, unhealthyThreshold: 1, timeoutSeconds: 1 },
  });
  const changed = await feed.next((m) => m.event === 'Instance Health Changed', 8000);
  expect(changed.data.detail).toMatchObject({ changed: ['health'], reason: 'health-check' });
  expect(changed.data.detail.instance.health).toBe('critical');
  feed.close();
}, 15_000);

it('retries events that PutEvents rejects and loses none', async () => {
  const runtime = backstop;
  const api = apiClient(runtime.url);
  let failures = 0;
  runtime.bus.fault = () => (failures++ < 6 ? 'ThrottlingException' : undefined);
  const feed = await subscribe(runtime.url, 'service=flaky');
  for (let i = 0; i < 5; i++) await api.register('flaky', `f-${i}`, body);
  const got = [];
  for (let i = 0; i < 5; i++) got.push((await feed.next((m) => m.event === 'Instance Registered', 10_000)).data.detail.instanceId);
  expect(got.sort()).toEqual(['f-0', 'f-1', 'f-2', 'f-3', 'f-4']);
  expect(failures).toBeGreaterThanOrEqual(6);
  runtime.bus.fault = undefined;
  feed.close();
}, 20_000);

it("announces Registry Resync Required to the service's subscribers when an event cannot be published, then publishes it on the retry", async () => {
  const runtime = backstop;
  const api = apiClient(runtime.url);
  let refused = 0;
  runtime.bus.fault = (entry) => (entry.DetailType === 'Instance Registered' && refused++ === 0 ? 'AccessDeniedException' : undefined);
  const feed = await subscribe(runtime.url, 'service=refused');
  const other = await subscribe(runtime.url, 'service=unrelated');
  const created = await api.register('refused', 'r-1', body);
  const resync = await feed.next();
  expect(resync.event).toBe('Registry Resync Required');
  expect(resync.data.detail).toMatchObject({ services: ['refused'], reason: 'publish-failed' });
  expect((await feed.next()).data.detail).toMatchObject({ instanceId: 'r-1', revision: created.body.revision });
  runtime.bus.fault = undefined;
  await api.register('unrelated', 'u-1', body);
  expect((await other.next()).event).toBe('Instance Registered'); // the resync went only to subscribers of `refused`
  feed.close();
  other.close();
}, 15_000);
