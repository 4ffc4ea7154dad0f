/**
 * `npm run bench:api`: register, heartbeat and discover (a 100-instance service) through the local runtime at
 * concurrency 1, 16 and 64. Prints requests/s, p50/p99 latency, and CPU per request of the runtime process (the
 * HTTP stand-in, handlers and SDK; the client load generator shares it, DynamoDB Local does not). Starts and stops its
 * own DynamoDB Local.
 */
import { cpus } from 'node:os';
import { startLocalRuntime } from '../local/runtime.js';
import { load, quantile } from './stats.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000);
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const runtime = await startLocalRuntime({ port: 0 });
const url = runtime.url;
const json = { 'content-type': 'application/json' };

async function ok(res: Promise<Response>, expected: number[]): Promise<void> {
  const r = await res;
  await r.arrayBuffer();
  if (!expected.includes(r.status)) throw new Error(`unexpected status ${r.status}`);
}

const rows: string[] = [];
try {
  for (let i = 0; i < 100; i++) {
    await ok(
      fetch(`${url}/v1/services/catalog/instances/c-${i}`, {
        method: 'PUT',
        headers: json,
        body: JSON.stringify({ address: `10.1.0.${i}`, port: 80, leaseSeconds: 3600 }),
      }),
      [201, 200],
    );
  }
  const scenarios: Record<string, (i: number) => Promise<void>> = {
    register: (i) =>
      ok(
        fetch(`${url}/v1/services/bench/instances/b-${i % 500}`, {
          method: 'PUT',
          headers: json,
          body: JSON.stringify({ address: '10.2.0.1', port: 1000 + (i % 500), leaseSeconds: 60 }),
        }),
        [200, 201],
      ),
    heartbeat: (i) => ok(fetch(`${url}/v1/services/catalog/instances/c-${i % 100}/heartbeat`, { method: 'POST' }), [200]),
    'discover (100 instances)': () => ok(fetch(`${url}/v1/services/catalog/instances?limit=100`), [200]),
  };
  console.log(`bench:api — ${REQUESTS} requests per cell, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`);
  // CPU of this process (HTTP server + handlers + SDK), not DynamoDB Local, which runs in its own Java process.
  console.log('| operation | concurrency | req/s | p50 ms | p99 ms | runtime CPU ms/req |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const [name, task] of Object.entries(scenarios)) {
    for (const concurrency of [1, 16, 64]) {
      await load(Math.min(200, REQUESTS), concurrency, task); // warm-up
      const cpu0 = process.cpuUsage();
      const { latencies, wallMs } = await load(REQUESTS, concurrency, task);
      const cpu = process.cpuUsage(cpu0);
      const cpuPerRequest = (cpu.user + cpu.system) / 1000 / REQUESTS;
      const row = `| ${name} | ${concurrency} | ${((REQUESTS / wallMs) * 1000).toFixed(0)} | ${quantile(latencies, 0.5).toFixed(2)} | ${quantile(latencies, 0.99).toFixed(2)} | ${cpuPerRequest.toFixed(2)} |`;
      rows.push(row);
      console.log(row);
    }
  }
} finally {
  await runtime.stop();
}
