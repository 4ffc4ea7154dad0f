/**
 * Two local runtimes in one process keep their own table, bus and metrics: each builds its own dependencies and
 * hands them to the functions' factories, so nothing is read from (or written to) `process.env` behind their backs.
 * Before the handler factories, the second runtime's functions silently used the first one's table.
 */
import type { LocalRuntime } from '../../local/runtime.js';
import { apiClient, startTestRuntime, subscribe } from '../support.js';

let first: LocalRuntime;
let second: LocalRuntime;
const body = { address: '127.0.0.1', port: 8080, leaseSeconds: 60 };

beforeAll(async () => {
  first = await startTestRuntime({ prober: false });
  second = await startTestRuntime({ prober: false });
});
afterAll(async () => {
  await second?.stop();
  await first?.stop();
});

it('writes each runtime’s registrations to its own table', async () => {
  // GIVEN two runtimes on different tables of one DynamoDB Local
  expect(first.tableName).not.toBe(second.tableName);
  // WHEN one instance is registered with each
  expect((await apiClient(first.url).register('orders', 'only-in-first', body)).status).toBe(201);
  expect((await apiClient(second.url).register('orders', 'only-in-second', body)).status).toBe(201);
  // THEN each runtime discovers its own instance only
  const ids = async (runtime: LocalRuntime) =>
    (await apiClient(runtime.url).discover('orders')).body.instances.map((i: { instanceId: string }) => i.instanceId);
  expect(await ids(first)).toEqual(['only-in-first']);
  expect(await ids(second)).toEqual(['only-in-second']);
});

it('publishes each runtime’s changes on its own bus', async () => {
  // GIVEN a subscriber to each runtime's event feed
  const feeds = [await subscribe(first.url, 'service=payments'), await subscribe(second.url, 'service=payments')];
  try {
    // WHEN an instance is registered with the second runtime only
    expect((await apiClient(second.url).register('payments', 'p-1', body)).status).toBe(201);
    // THEN its event reaches the second runtime's subscriber, and the first runtime's sees nothing of it
    const event = await feeds[1]!.next((m) => m.event === 'Instance Registered');
    expect(event.data.detail).toMatchObject({ service: 'payments', instanceId: 'p-1' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(feeds[0]!.messages.filter((m) => m.event === 'Instance Registered')).toEqual([]);
  } finally {
    for (const feed of feeds) feed.close();
  }
});
