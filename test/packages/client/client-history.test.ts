/** The SDK's history methods against the local runtime: one page, every page, and errors before and after sending. */
import { RegistryApiError, RegistryClient, RegistryValidationError } from '@service-registry/client';
import type { HistoryPage } from '@service-registry/contracts';
import type { LocalRuntime } from '../../../local/runtime.js';
import { sleep, startTestRuntime } from '../../support.js';

let runtime: LocalRuntime;
let registry: RegistryClient;

beforeAll(async () => {
  runtime = await startTestRuntime({ prober: false, history: true });
  registry = new RegistryClient({ baseUrl: runtime.url });
});
afterAll(async () => {
  await runtime.stop();
});

it('reads one page with filters, and every page newest first through the iterator', async () => {
  // Prepare: 5 changes of one instance
  const revisions = [(await registry.register('billing', 'b-1', { address: '10.0.0.1', port: 80 })).revision];
  for (let weight = 1; weight <= 4; weight++) revisions.push((await registry.patch('billing', 'b-1', { weight })).revision);
  const deadline = Date.now() + 10_000;
  while ((await registry.history('billing')).entries.length < 5 && Date.now() < deadline) await sleep(50);
  // Act
  const first = await registry.history('billing', { instanceId: 'b-1', since: new Date(Date.now() - 3_600_000), limit: 2 });
  const pages: HistoryPage[] = [];
  for await (const page of registry.historyPages('billing', { since: '1h', limit: 2 })) pages.push(page);
  // Assess
  expect(first.entries.map((e) => e.revision)).toEqual([revisions[4], revisions[3]]);
  expect(first.cursor).toBeDefined();
  expect(pages.map((p) => p.entries.length)).toEqual([2, 2, 1]);
  expect(pages.flatMap((p) => p.entries.map((e) => e.revision))).toEqual([...revisions].reverse());
  expect(pages[0]!.entries[0]).toMatchObject({ principal: 'anonymous', detailType: 'Instance Updated', changed: ['weight'] });
});

it('refuses a bad service name before sending, and carries the API error of a bad query', async () => {
  await expect(registry.history('Billing')).rejects.toThrow(RegistryValidationError);
  await expect(registry.history('billing', { since: 'last week' })).rejects.toMatchObject({ status: 400, details: [{ field: 'query.since' }] });
  await expect(registry.history('billing', { limit: 0 })).rejects.toBeInstanceOf(RegistryApiError);
});
