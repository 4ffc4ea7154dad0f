/**
 * End to end through the local runtime: instances register with the agent, the gateway routes to them, one
 * stops, and the gateway stops sending to it (retries hide the failure from callers meanwhile).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startGateway } from '../../../examples/gateway/gateway.js';
import type { LocalRuntime } from '../../../local/runtime.js';
import { type RegisteredInstance, registerInstance, RegistryClient, SseFeed } from '@service-registry/client';
import { sleep, startTestRuntime } from '../../support.js';

let runtime: LocalRuntime;
const servers: Server[] = [];
const agents: RegisteredInstance[] = [];

async function sampleInstance(name: string): Promise<Server> {
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(name));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return server;
}

beforeAll(async () => {
  runtime = await startTestRuntime({ probeIntervalSeconds: 1 });
});
afterAll(async () => {
  await Promise.all(agents.map((a) => a.shutdown({ drain: false })));
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
  await runtime.stop();
});

it('routes to registered instances and stops sending to one that stopped', async () => {
  const client = new RegistryClient({ baseUrl: runtime.url });
  for (const name of ['a', 'b']) {
    const server = await sampleInstance(name);
    const port = (server.address() as AddressInfo).port;
    const healthCheck = { type: 'http' as const, path: '/health', intervalSeconds: 1, timeoutSeconds: 1, unhealthyThreshold: 2, healthyThreshold: 1 };
    agents.push(
      await registerInstance({ client, service: 'web', instanceId: name, registration: { address: '127.0.0.1', port, healthCheck }, handleSignals: false }),
    );
  }
  const attempts: Array<{ id: string; ok: boolean; at: number }> = [];
  const gateway = startGateway({
    client,
    feed: new SseFeed({ baseUrl: runtime.url }),
    onAttempt: (_s, i, ok) => attempts.push({ id: i.instanceId, ok, at: Date.now() }),
  });
  await new Promise<void>((r) => gateway.server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`;
  try {
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) seen.add(await (await fetch(`${base}/web/hello`)).text());
    expect([...seen].sort()).toEqual(['a', 'b']);

    const nobody = await fetch(`${base}/nobody/x`);
    expect(nobody.status).toBe(503);
    expect(((await nobody.json()) as { error: { code: string } }).error.code).toBe('NO_INSTANCE');

    // b's process goes away without deregistering.
    servers[1]!.closeAllConnections();
    await new Promise((r) => servers[1]!.close(r));
    const stoppedAt = Date.now();
    let lastToB = stoppedAt;
    while (Date.now() - stoppedAt < 8000) {
      const res = await fetch(`${base}/web/hello`);
      expect(res.status).toBe(200); // a failure on b is retried on a
      expect(await res.text()).toBe('a');
      const toB = attempts.filter((a) => a.id === 'b');
      if (toB.length) lastToB = Math.max(lastToB, toB[toB.length - 1]!.at);
      await sleep(50);
    }
    // The gateway stopped sending to b well before the end: failures ejected it, and the registry's critical
    // health reached the cache through the change feed.
    expect(Date.now() - lastToB).toBeGreaterThan(3000);
    expect(
      gateway.routes
        .get('web')!
        .cache.instances()
        .find((i) => i.instanceId === 'b')?.health,
    ).toBe('critical');
  } finally {
    await gateway.stop();
  }
}, 30_000);
