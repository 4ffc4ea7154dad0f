/** End to end through the local runtime: registry changes reach an SSE subscriber as typed events. */
import type { LocalRuntime } from '../../local/runtime.js';
import { apiClient, sleep, startTestRuntime, subscribe } from '../support.js';

let runtime: LocalRuntime;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  runtime = await startTestRuntime({ probeIntervalSeconds: 1 });
  api = apiClient(runtime.url);
});
afterAll(async () => {
  await runtime.stop();
});

const body = { address: '10.0.0.1', port: 80 };

it('publishes Registered, Updated, Deregistered in order with increasing revisions, and nothing for heartbeats', async () => {
  const feed = await subscribe(runtime.url, 'service=orders');
  const created = await api.register('orders', 'e-1', { ...body, leaseSeconds: 30 });
  const registered = await feed.next();
  expect(registered.event).toBe('Instance Registered');
  expect(registered.data).toMatchObject({ source: 'service-registry', 'detail-type': 'Instance Registered' });
  expect(registered.data.detail).toMatchObject({ schemaVersion: '1.0', service: 'orders', instanceId: 'e-1', revision: created.body.revision, reason: 'registered' });
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
  await api.register('probed', 'p-1', { address: '127.0.0.1', port: 9, healthCheck: { type: 'tcp', intervalSeconds: 1, unhealthyThreshold: 1, timeoutSeconds: 1 } });
  const changed = await feed.next((m) => m.event === 'Instance Health Changed', 8000);
  expect(changed.data.detail).toMatchObject({ changed: ['health'], reason: 'health-check' });
  expect(changed.data.detail.instance.health).toBe('critical');
  feed.close();
}, 15_000);

it('retries events that PutEvents rejects and loses none', async () => {
  let failures = 0;
  runtime.bus.fault = () => (failures++ < 6 ? 'ThrottlingException' : undefined);
  const feed = await subscribe(runtime.url, 'service=flaky');
  for (let i = 0; i < 5; i++) await api.register('flaky', `f-${i}`, body);
  const got = [];
  for (let i = 0; i < 5; i++) got.push((await feed.next(undefined, 10_000)).data.detail.instanceId);
  expect(got.sort()).toEqual(['f-0', 'f-1', 'f-2', 'f-3', 'f-4']);
  expect(failures).toBeGreaterThanOrEqual(6);
  runtime.bus.fault = undefined;
  feed.close();
}, 20_000);
