/**
 * The registry's side of the propagation and detection figures of `npm run bench`, through the local runtime and
 * the SDK (cache over the SSE feed), 1-second prober rounds and the default thresholds:
 * - propagation: change acknowledged → applied in a subscriber's cache (BENCH_CHANGES, default 1,000), with the
 *   fast path on (the writing function publishes at once; the default), also from the moment the write was sent (a
 *   fast event usually arrives before the acknowledgement does); and through the stream backstop alone (a runtime
 *   with `fastPublish: false`, BENCH_CHANGES / 5 changes), the path every change took before the fast path;
 * - failure detection: an instance's process dies → the cache stops offering it as healthy (20 trials);
 * - lease-expiry detection: a lease ends → the cache drops the instance (20 leases of 2 s among 200 long ones, so
 *   the mass-failure guard, which engages above 15 % expiring, stays out of it). The sweeper marks a lease in the
 *   first round after it ends and deletes it (the event the cache acts on) in the next;
 * - failure detection at the AWS defaults: a runtime of its own with 10 s rounds, 10 s check intervals and the
 *   default 1 s re-probes of a failing target (`REGISTRY_PROBE_RETRY_SECONDS`): BENCH_AWS_TRIALS victims (default 5,
 *   0 skips it; about 45 s) die one at a time 2.1 s apart, so their deaths fall at different points of the round.
 * The peers of the failure-detection part share one loopback port but stand for hosts of their own, so the
 * per-endpoint probe cap is lifted.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startLocalRuntime } from '../local/runtime.js';
import { isHealthy, RegistryClient, ServiceCache, SseFeed } from '@service-registry/client';
import type { InstanceRecord } from '@service-registry/contracts';
import { load, quantile } from './stats.js';

const CHANGES = Number(process.env.BENCH_CHANGES ?? 1000);
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
process.env.REGISTRY_PROBE_MAX_PER_ENDPOINT ??= '1000';
const TRIALS = 20;
const AWS_TRIALS = Number(process.env.BENCH_AWS_TRIALS ?? 5);
const runtime = await startLocalRuntime({ port: 0, probeIntervalSeconds: 1 });
const client = new RegistryClient({ baseUrl: runtime.url });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const follow = async (service: string, onChange: (instances: readonly InstanceRecord[]) => void = () => undefined) => {
  const cache = new ServiceCache({ client, service, onChange });
  await cache.start();
  const feed = new SseFeed({ baseUrl: runtime.url, services: [service] });
  feed.start(cache.feedHandlers());
  await sleep(300);
  return { cache, stop: async () => (await feed.stop(), cache.stop()) };
};
const waitFor = async (condition: () => boolean, timeoutMs = 30_000) => {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out');
    await sleep(2);
  }
  return performance.now();
};
try {
  // Propagation. When the cache applied each revision is taken in its onChange (the wait's polling would add its own
  // granularity, and a fast event is often applied before the acknowledgement arrives: that counts as 0).
  const appliedAt = new Map<string, { revision: number; at: number }>();
  const prop = await follow('prop', (instances) => {
    const at = performance.now();
    for (const x of instances) if ((appliedAt.get(x.instanceId)?.revision ?? -1) < x.revision) appliedAt.set(x.instanceId, { revision: x.revision, at });
  });
  const propagation: number[] = [];
  const fromSent: number[] = [];
  for (let i = 0; i < CHANGES; i++) {
    const id = `p-${i % 50}`;
    const sent = performance.now();
    const record = await client.register('prop', id, { address: '10.0.0.1', port: 1000 + i, leaseSeconds: 300 });
    const acknowledged = performance.now();
    await waitFor(() => (appliedAt.get(id)?.revision ?? -1) >= record.revision);
    const applied = appliedAt.get(id)!.at;
    propagation.push(Math.max(0, applied - acknowledged));
    fromSent.push(applied - sent);
  }
  await prop.stop();
  const backstop = await propagationByBackstop(Math.max(50, Math.round(CHANGES / 5)));

  // Failure detection: one instance at a time dies; 10 healthy peers keep the guard's share low.
  const peers = createServer((_q, s) => s.writeHead(200).end());
  await new Promise<void>((r) => peers.listen(0, '127.0.0.1', r));
  const peerPort = (peers.address() as AddressInfo).port;
  for (let i = 0; i < 10; i++)
    await client.register('fd', `peer-${i}`, {
      address: '127.0.0.1',
      port: peerPort,
      healthCheck: { type: 'http', path: `/p/${i}`, intervalSeconds: 1, timeoutSeconds: 1 },
    });
  const fd = await follow('fd');
  const detection: number[] = [];
  for (let t = 0; t < TRIALS; t++) {
    const server = createServer((_q, s) => s.writeHead(200).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const id = `victim-${t}`;
    await client.register('fd', id, {
      address: '127.0.0.1',
      port: (server.address() as AddressInfo).port,
      healthCheck: { type: 'http', intervalSeconds: 1, timeoutSeconds: 1 },
    });
    const offered = () => fd.cache.instances().some((x) => x.instanceId === id && isHealthy(x));
    await waitFor(offered);
    server.closeAllConnections();
    server.close();
    const died = performance.now();
    detection.push((await waitFor(() => !offered())) - died);
    await client.deregister('fd', id);
  }
  await fd.stop();
  for (let i = 0; i < 10; i++) await client.deregister('fd', `peer-${i}`);
  peers.close();

  // Lease-expiry detection.
  await load(200, 16, async (i) => void (await client.register('lease', `long-${i}`, { address: '10.0.0.1', port: 80, leaseSeconds: 600 })));
  const le = await follow('lease');
  const ends = new Map<string, number>();
  await Promise.all(
    Array.from({ length: TRIALS }, async (_, i) => {
      const record = await client.register('lease', `short-${i}`, { address: '10.0.0.1', port: 80, leaseSeconds: 2 });
      ends.set(record.instanceId, performance.now() + (Date.parse(record.leaseExpiresAt!) - Date.now()));
    }),
  );
  const expiry = await Promise.all(
    [...ends].map(async ([id, end]) => {
      const held = () => le.cache.instances().some((x) => x.instanceId === id);
      await waitFor(held); // the registration reached the cache first
      return (await waitFor(() => !held())) - end;
    }),
  );
  await le.stop();

  const awsDefaults = AWS_TRIALS > 0 ? await detectAtAwsDefaults() : [];

  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(`bench:detection — local runtime, 1 s prober rounds, default thresholds (unhealthy 3, healthy 2), node ${process.version}`);
  console.log('| figure | value |');
  console.log('|---|---:|');
  console.log(`| propagation to SDK cache p50 (ms) | ${quantile(propagation, 0.5).toFixed(2)} |`);
  console.log(`| propagation to SDK cache p99 (ms) | ${quantile(propagation, 0.99).toFixed(2)} |`);
  console.log(`| write sent → SDK cache p50 (ms; the request included) | ${quantile(fromSent, 0.5).toFixed(2)} |`);
  console.log(`| write sent → SDK cache p99 (ms; the request included) | ${quantile(fromSent, 0.99).toFixed(2)} |`);
  console.log(`| stream backstop alone (fastPublish off): acknowledged → SDK cache p50 (ms) | ${quantile(backstop, 0.5).toFixed(2)} |`);
  console.log(`| stream backstop alone (fastPublish off): acknowledged → SDK cache p99 (ms) | ${quantile(backstop, 0.99).toFixed(2)} |`);
  console.log(`| failure detection mean (ms after the process died) | ${mean(detection).toFixed(0)} |`);
  console.log(`| failure detection max (ms after the process died) | ${Math.max(...detection).toFixed(0)} |`);
  console.log(`| lease-expiry detection mean (ms after the lease ended) | ${mean(expiry).toFixed(0)} |`);
  console.log(`| lease-expiry detection max (ms after the lease ended) | ${Math.max(...expiry).toFixed(0)} |`);
  if (awsDefaults.length > 0) {
    console.log(`| detection at AWS defaults mean (ms after the process died; 10 s rounds, 1 s re-probes) | ${mean(awsDefaults).toFixed(0)} |`);
    console.log(`| detection at AWS defaults max (ms after the process died; 10 s rounds, 1 s re-probes) | ${Math.max(...awsDefaults).toFixed(0)} |`);
  }
} finally {
  await runtime.stop();
}

/** Change acknowledged → applied in a cache, through a runtime whose writing functions do not publish (the stream alone). */
async function propagationByBackstop(changes: number): Promise<number[]> {
  const slow = await startLocalRuntime({ port: 0, prober: false, fastPublish: false });
  try {
    const slowClient = new RegistryClient({ baseUrl: slow.url });
    const appliedAt = new Map<string, { revision: number; at: number }>();
    const cache: ServiceCache = new ServiceCache({
      client: slowClient,
      service: 'prop',
      onChange: (instances) => {
        const at = performance.now();
        for (const x of instances) if ((appliedAt.get(x.instanceId)?.revision ?? -1) < x.revision) appliedAt.set(x.instanceId, { revision: x.revision, at });
      },
    });
    await cache.start();
    const feed = new SseFeed({ baseUrl: slow.url, services: ['prop'] });
    feed.start(cache.feedHandlers());
    await sleep(300);
    const out: number[] = [];
    for (let i = 0; i < changes; i++) {
      const id = `p-${i % 50}`;
      const record = await slowClient.register('prop', id, { address: '10.0.0.1', port: 1000 + i, leaseSeconds: 300 });
      const acknowledged = performance.now();
      await waitFor(() => (appliedAt.get(id)?.revision ?? -1) >= record.revision);
      out.push(Math.max(0, appliedAt.get(id)!.at - acknowledged));
    }
    await feed.stop();
    cache.stop();
    return out;
  } finally {
    await slow.stop();
  }
}

/**
 * Process death → out of the cache at the AWS defaults, through a runtime of its own: 10 healthy peers and
 * AWS_TRIALS victims, all with the default check (10 s interval, thresholds 3 down / 2 up), become healthy; then
 * the victims die 2.1 s apart (never more than a third of the fleet failing: the guard stays out).
 */
async function detectAtAwsDefaults(): Promise<number[]> {
  const aws = await startLocalRuntime({ port: 0, probeIntervalSeconds: 10 });
  const servers: Server[] = [];
  try {
    const awsClient = new RegistryClient({ baseUrl: aws.url });
    const listen = async () => {
      const server = createServer((_q, s) => s.writeHead(200).end());
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      servers.push(server);
      return { server, port: (server.address() as AddressInfo).port };
    };
    const peersAt = await listen();
    for (let i = 0; i < 10; i++)
      await awsClient.register('fd', `peer-${i}`, { address: '127.0.0.1', port: peersAt.port, healthCheck: { type: 'http', path: `/p/${i}` } });
    const victims = await Promise.all(Array.from({ length: AWS_TRIALS }, listen));
    for (const [i, v] of victims.entries())
      await awsClient.register('fd', `victim-${i}`, { address: '127.0.0.1', port: v.port, healthCheck: { type: 'http' } });
    const cache = new ServiceCache({ client: awsClient, service: 'fd' });
    await cache.start();
    const feed = new SseFeed({ baseUrl: aws.url, services: ['fd'] });
    feed.start(cache.feedHandlers());
    const offered = (id: string) => cache.instances().some((x) => x.instanceId === id && isHealthy(x));
    await waitFor(() => victims.every((_, i) => offered(`victim-${i}`)), 60_000);
    const detection = await Promise.all(
      victims.map(async ({ server }, i) => {
        await sleep(i * 2100);
        server.closeAllConnections();
        server.close();
        const died = performance.now();
        return (await waitFor(() => !offered(`victim-${i}`), 60_000)) - died;
      }),
    );
    await feed.stop();
    cache.stop();
    return detection;
  } finally {
    for (const server of servers) server.close();
    await aws.stop();
  }
}
