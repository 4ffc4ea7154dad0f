/**
 * End to end through the local runtime (1-second rounds): an instance whose health endpoint starts failing leaves
 * discovery within unhealthyThreshold × interval + one round and comes back after healthyThreshold passes; an
 * expiring lease is removed by the sweeper.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalRuntime } from '../../../local/runtime.js';
import { apiClient, eventually, sleep, startTestRuntime } from '../../support.js';

let runtime: LocalRuntime;
let api: ReturnType<typeof apiClient>;
let server: Server;
let port: number;
let healthy = true;

beforeAll(async () => {
  server = createServer((_req, res) => res.writeHead(healthy ? 200 : 503).end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  runtime = await startTestRuntime({ probeIntervalSeconds: 1 });
  api = apiClient(runtime.url);
});
afterAll(async () => {
  await runtime.stop();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await condition()) return Date.now() - started;
    await sleep(100);
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

const inDiscovery = async () => (await api.discover('web')).body.instances.some((i: { instanceId: string }) => i.instanceId === 'w-1');

it('takes a failing instance out of discovery within the thresholds and brings it back', async () => {
  const check = { type: 'http', path: '/health', intervalSeconds: 1, timeoutSeconds: 1, unhealthyThreshold: 3, healthyThreshold: 2 };
  expect((await api.register('web', 'w-1', { address: '127.0.0.1', port, healthCheck: check })).status).toBe(201);
  await waitFor(async () => (await api.get('web', 'w-1')).body.health === 'passing', 6000);

  healthy = false;
  const outMs = await waitFor(async () => !(await inDiscovery()), 8000);
  expect(outMs).toBeLessThanOrEqual((3 + 1) * 1000 + 1000); // unhealthyThreshold × interval + one round (+ polling slack)
  expect((await api.get('web', 'w-1')).body.health).toBe('critical');
  // The counters follow from the stream (eventually consistent).
  const counted = (r: any) => r.body.services?.some((s: any) => s.service === 'web' && s.total === 1 && s.healthy === 0);
  expect((await eventually(() => api.services(), counted)).body.services).toContainEqual({ service: 'web', total: 1, healthy: 0 });

  healthy = true;
  const backMs = await waitFor(inDiscovery, 8000);
  expect(backMs).toBeLessThanOrEqual((2 + 1) * 1000 + 1000);
}, 30_000);

it('removes an instance whose lease expired', async () => {
  await api.register('leases', 'gone-soon', { address: '10.0.0.1', port: 80, leaseSeconds: 2 });
  const listed = async () => (await api.services()).body.services.some((s: { service: string }) => s.service === 'leases');
  // Listed once the stream has counted the registration (the counters are eventually consistent), then gone.
  await waitFor(listed, 6000);
  await waitFor(async () => !(await listed()), 8000);
  expect((await api.get('leases', 'gone-soon')).status).toBe(404);
}, 15_000);
