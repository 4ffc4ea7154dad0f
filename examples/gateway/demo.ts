/**
 * `npm run demo`: the registry, three instances of a sample service and the gateway, in one terminal. Traffic
 * flows through the gateway; one instance is stopped (no deregistration, as in a crash); the demo prints how
 * traffic shifted and how long the registry took to notice.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startLocalRuntime } from '../../local/runtime.js';
import { type RegisteredInstance, registerInstance, RegistryClient, SseFeed } from '@service-registry/client';
import { startGateway } from './gateway.js';

const say = (line: string) => console.log(`[demo ${new Date().toISOString().slice(11, 23)}] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

say('starting the registry (DynamoDB Local, 1-second probe rounds)…');
const runtime = await startLocalRuntime({ port: 0, probeIntervalSeconds: 1 });
const client = new RegistryClient({ baseUrl: runtime.url });
const servers = new Map<string, Server>();
const agents: RegisteredInstance[] = [];
const gateway = startGateway({ client, feed: new SseFeed({ client, services: ['hello'] }) });
const detected = new Promise<number>((resolve) => {
  const feed = new SseFeed({ client, services: ['hello'] });
  feed.start({
    onGap: () => undefined,
    onEvent: (event) => {
      if (event['detail-type'] === 'Instance Health Changed' && event.detail.instanceId === 'hello-3' && event.detail.instance?.health === 'critical') {
        resolve(Date.now());
        void feed.stop();
      }
    },
  });
});
try {
  for (const name of ['hello-1', 'hello-2', 'hello-3']) {
    const server = createServer((_req, res) => res.writeHead(200).end(name));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.set(name, server);
    const port = (server.address() as AddressInfo).port;
    // A probe-driven instance: the registry checks /health every second; no heartbeats needed.
    agents.push(
      await registerInstance({
        client,
        service: 'hello',
        instanceId: name,
        registration: { address: '127.0.0.1', port, healthCheck: { type: 'http', path: '/health', intervalSeconds: 1, timeoutSeconds: 1 } },
        handleSignals: false,
      }),
    );
    say(`${name} listening on 127.0.0.1:${port}, registered`);
  }
  await new Promise<void>((r) => gateway.server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(gateway.server.address() as AddressInfo).port}`;
  say(`gateway on ${base}; routing /hello/* by the registry`);

  const traffic = async (seconds: number) => {
    const counts = new Map<string, number>();
    const until = Date.now() + seconds * 1000;
    let errors = 0;
    while (Date.now() < until) {
      const res = await fetch(`${base}/hello/`);
      const body = await res.text();
      if (res.status === 200) counts.set(body, (counts.get(body) ?? 0) + 1);
      else errors++;
      await sleep(20);
    }
    return { counts, errors };
  };
  const show = (label: string, { counts, errors }: { counts: Map<string, number>; errors: number }) =>
    say(
      `${label}: ${[...counts]
        .sort()
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}${errors ? ` errors=${errors}` : ' (no errors)'}`,
    );

  await sleep(2500); // let the first probes mark every instance passing
  show('3 s of traffic', await traffic(3));
  say('stopping hello-3 (no deregistration, as in a crash)…');
  const stoppedAt = Date.now();
  servers.get('hello-3')!.closeAllConnections();
  servers.get('hello-3')!.close();
  show('next 3 s', await traffic(3));
  const noticed = await Promise.race([detected, sleep(10_000).then(() => undefined)]);
  say(
    noticed
      ? `the registry marked hello-3 critical ${((noticed - stoppedAt) / 1000).toFixed(1)} s after it stopped (3 failed probes at 1 s rounds); subscribers got the event`
      : 'the registry did not notice within 10 s',
  );
  show('3 s after that', await traffic(3));
  say('done: the gateway retried the failed requests on other instances, ejected hello-3, and then never picked it again.');
} finally {
  await Promise.all(agents.map((a) => a.shutdown({ drain: false })));
  await gateway.stop();
  for (const server of servers.values()) {
    server.closeAllConnections();
    server.close();
  }
  await runtime.stop();
}
