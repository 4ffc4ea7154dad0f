import { apiClient, startTestRuntime } from '../support.js';
import type { LocalRuntime } from '../../local/runtime.js';

let runtime: LocalRuntime;
beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(async () => {
  await runtime.stop();
});

it('registers and reads back an instance', async () => {
  const api = apiClient(runtime.url);
  const put = await api.register('orders', 'a', { address: '10.0.0.1', port: 8080 });
  expect(put.status).toBe(201);
  const get = await api.get('orders', 'a');
  expect(get.body.address).toBe('10.0.0.1');
});
