/**
 * The peer in `npm run bench`: etcd (Debian's `etcd-server`) on loopback ports with a temporary data dir, doing the
 * etcd-native equivalents of the registry's operations through its v3 JSON gateway: put with a lease (register),
 * lease keep-alive (heartbeat), get by prefix (discover 100 instances), watch propagation (change → subscriber),
 * and lease-expiry detection (lease ends → watcher sees the delete). Prints markdown tables.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../local/dynamodb-local.js';
import { load, quantile } from './stats.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000);
const CHANGES = Number(process.env.BENCH_CHANGES ?? 1000);

if (spawnSync('etcd', ['--version']).error) {
  console.log('etcd is not installed: skipping the peer benchmark. Install it with `apt-get install -y etcd-server`.');
  process.exit(0);
}
const dir = mkdtempSync(join(tmpdir(), 'bench-etcd-'));
const [clientPort, peerPort] = [await freePort(), await freePort()];
const url = `http://127.0.0.1:${clientPort}`;
const etcd = spawn(
  'etcd',
  [
    '--data-dir',
    dir,
    '--listen-client-urls',
    url,
    '--advertise-client-urls',
    url,
    '--listen-peer-urls',
    `http://127.0.0.1:${peerPort}`,
    '--initial-advertise-peer-urls',
    `http://127.0.0.1:${peerPort}`,
    '--initial-cluster',
    `default=http://127.0.0.1:${peerPort}`,
  ],
  { stdio: 'ignore' },
);
const b64 = (s: string) => Buffer.from(s).toString('base64');
const call = async (path: string, body: object) => {
  const res = await fetch(`${url}${path}`, { method: 'POST', body: JSON.stringify(body) });
  // biome-ignore lint/suspicious/noExplicitAny: etcd's JSON gateway answers vary by call; each caller reads its own fields.
  const json = (await res.json()) as Record<string, any>;
  if (res.status !== 200) throw new Error(`etcd ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
};
try {
  for (let i = 0; ; i++) {
    try {
      await call('/v3/kv/range', { key: b64('x') });
      break;
    } catch {
      if (i > 100) throw new Error('etcd did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const lease = (await call('/v3/lease/grant', { TTL: 3600 })).ID as string;
  for (let i = 0; i < 100; i++)
    await call('/v3/kv/put', { key: b64(`/svc/catalog/c-${i}`), value: b64(JSON.stringify({ address: `10.1.0.${i}`, port: 80 })), lease });
  const ops: Record<string, (i: number) => Promise<unknown>> = {
    'put with lease (register)': (i) =>
      call('/v3/kv/put', { key: b64(`/svc/bench/b-${i % 500}`), value: b64(JSON.stringify({ address: '10.2.0.1', port: 1000 + (i % 500) })), lease }),
    'lease keep-alive (heartbeat)': () => call('/v3/lease/keepalive', { ID: lease }),
    'get by prefix, 100 keys (discover)': () => call('/v3/kv/range', { key: b64('/svc/catalog/'), range_end: b64('/svc/catalog0') }),
  };
  console.log(
    `bench:etcd — etcd ${spawnSync('etcd', ['--version']).stdout.toString().split('\n')[0]?.replace('etcd Version: ', '')}, ${REQUESTS} requests per cell`,
  );
  console.log('| operation | concurrency | req/s | p50 ms | p99 ms |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [name, task] of Object.entries(ops)) {
    for (const concurrency of [1, 16, 64]) {
      await load(Math.min(200, REQUESTS), concurrency, async (i) => void (await task(i)));
      const { latencies, wallMs } = await load(REQUESTS, concurrency, async (i) => void (await task(i)));
      console.log(
        `| ${name} | ${concurrency} | ${((REQUESTS / wallMs) * 1000).toFixed(0)} | ${quantile(latencies, 0.5).toFixed(2)} | ${quantile(latencies, 0.99).toFixed(2)} |`,
      );
    }
  }

  // Watch propagation: put acknowledged → watcher receives the event.
  const controller = new AbortController();
  const arrived = new Map<string, number>();
  const waiting = new Map<string, (at: number) => void>();
  const watch = await fetch(`${url}/v3/watch`, {
    method: 'POST',
    body: JSON.stringify({ create_request: { key: b64('/svc/watched/'), range_end: b64('/svc/watched0') } }),
    signal: controller.signal,
  });
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of watch.body as unknown as AsyncIterable<Uint8Array>) {
      const at = performance.now();
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, end).trim();
        buffer = buffer.slice(end + 1);
        if (!line) continue;
        for (const event of (JSON.parse(line).result?.events ?? []) as Array<{ type?: string; kv: { key: string; mod_revision: string } }>) {
          const key = `${event.type ?? 'PUT'}:${Buffer.from(event.kv.key, 'base64').toString()}:${event.kv.mod_revision}`;
          arrived.set(key, at);
          waiting.get(key)?.(at);
        }
      }
    }
  })().catch(() => undefined);
  await new Promise((r) => setTimeout(r, 200));
  const propagation: number[] = [];
  for (let i = 0; i < CHANGES; i++) {
    const key = `/svc/watched/w-${i % 50}`;
    const res = await call('/v3/kv/put', { key: b64(key), value: b64(String(i)) });
    const acknowledged = performance.now();
    const id = `PUT:${key}:${res.header.revision}`;
    const at = arrived.get(id) ?? (await new Promise<number>((resolve) => waiting.set(id, resolve)));
    propagation.push(at - acknowledged);
  }
  // Lease-expiry detection: 20 leases of 2 s, never kept alive; the watcher sees each key's DELETE.
  const trials = await Promise.all(
    Array.from({ length: 20 }, async (_, i) => {
      const granted = await call('/v3/lease/grant', { TTL: 2 });
      const key = `/svc/watched/expiring-${i}`;
      await call('/v3/kv/put', { key: b64(key), value: b64('x'), lease: granted.ID });
      const expiresAt = performance.now() + 2000;
      const deleted = await new Promise<number>((resolve) => {
        const check = setInterval(() => {
          for (const [k, at] of arrived)
            if (k.startsWith(`DELETE:${key}:`)) {
              clearInterval(check);
              resolve(at);
            }
        }, 5);
      });
      return deleted - expiresAt;
    }),
  );
  controller.abort();
  console.log('');
  console.log('| figure | value |');
  console.log('|---|---:|');
  // etcd often streams the event before the put's own response arrives: count that as 0.
  const clamped = propagation.map((ms) => Math.max(0, ms));
  console.log(`| watch propagation p50 (ms) | ${quantile(clamped, 0.5).toFixed(2)} |`);
  console.log(`| watch propagation p99 (ms) | ${quantile(clamped, 0.99).toFixed(2)} |`);
  console.log(`| lease-expiry detection mean (ms after TTL) | ${(trials.reduce((a, b) => a + b, 0) / trials.length).toFixed(0)} |`);
  console.log(`| lease-expiry detection max (ms after TTL) | ${Math.max(...trials).toFixed(0)} |`);
} finally {
  etcd.kill();
  await new Promise((r) => etcd.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
