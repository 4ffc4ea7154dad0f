/**
 * `npm run bench:floor`: our API against the DynamoDB Local floor, in one run, on one DynamoDB Local, at the same
 * concurrency for the same time. Each pair is the request our route makes, sent raw with the SDK, beside the route:
 * - register (`PUT …/instances/{id}`, a replace) vs a conditional PutItem of the same item (same attributes and
 *   size, read back from a registered one) under register's condition (absent, ours, or lease expired), `ALL_OLD`;
 * - heartbeat (`POST …/heartbeat`) vs the heartbeat's UpdateItem (lease and TTL moved from the stored lease,
 *   `lastWrite`, the revision set to itself, condition live and ours, `UPDATED_NEW`) on the same 100 items;
 * - discover (`GET …/instances?limit=100`) vs the Query discover makes (`begins_with(sk, 'INST#')`, Limit 100, the
 *   adapter's projection) of the same 100 items.
 * The floor uses the plain `DynamoDBClient` (AttributeValues, no document client, no domain) with the requests of
 * bench/floor-requests.ts. Prints req/s, p50/p99 latency, process CPU per request, and ours/floor (target ≥ 0.8,
 * issue #16).
 *
 * Fair to both sides: the floor's writes go to the same table, so the runtime's stream consumers (publisher,
 * history) see the same kind of records in both phases; the prober is off (its rounds are timer-driven, not
 * request-driven, and would land in one phase at random). The HTTP load generator runs in a worker thread, so the
 * runtime's event loop does only the runtime's work, as the floor's does only the SDK's; both still share the
 * machine's cores with DynamoDB Local. Phases alternate (floor, ours, ours, floor, …) so drift on a shared machine
 * falls on both sides.
 *
 * Settings: BENCH_SECONDS per phase (default 10), BENCH_ROUNDS (default 2), BENCH_CONCURRENCY (default 16),
 * BENCH_WARMUP_SECONDS per side and operation (default 2).
 */
import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { INSTANCE_PROJECTION } from '../lambdas/adapters/items.js';
import { localClientConfig } from '../local/dynamodb-local.js';
import { startLocalRuntime } from '../local/runtime.js';
import { conditionalPut, heartbeatUpdate, instanceQuery, itemBytes, storedItems } from './floor-requests.js';
import { load, loadFor, quantile } from './stats.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const TARGET = 0.8;
/** Distinct instances register writes to (as bench:api), and the size of the discovered service. */
const REGISTERED = 500;
const CATALOG = 100;
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** One HTTP request shape for the worker: `{k}` in path and body is `i % mod`, `{port}` is 1000 + that. */
interface HttpSpec {
  readonly method: string;
  readonly path: string;
  readonly body?: string;
  readonly mod: number;
  readonly expect: readonly number[];
}

/**
 * The HTTP load generator, in plain JavaScript for a worker thread (global fetch, nothing to import), so its own
 * parsing and bookkeeping do not run on the runtime's event loop. Mirrors `loadFor` in stats.ts.
 */
const HTTP_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { url, spec, concurrency, durationMs } = workerData;
const headers = spec.body === undefined ? undefined : { 'content-type': 'application/json' };
async function task(i) {
  const k = i % spec.mod;
  const fill = (s) => s.replaceAll('{k}', String(k)).replaceAll('{port}', String(1000 + k));
  const res = await fetch(url + fill(spec.path), { method: spec.method, headers, body: spec.body === undefined ? undefined : fill(spec.body) });
  await res.arrayBuffer();
  if (!spec.expect.includes(res.status)) throw new Error(spec.method + ' ' + spec.path + ': unexpected status ' + res.status);
}
(async () => {
  const latencies = [];
  let next = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < deadline) {
      const i = next++;
      const t0 = performance.now();
      await task(i);
      latencies.push(performance.now() - t0);
    }
  }));
  parentPort.postMessage({ latencies, requests: latencies.length, wallMs: performance.now() - started });
})().catch((error) => { throw error; });
`;

type Run = { latencies: number[]; requests: number; wallMs: number };

function httpLoad(url: string, spec: HttpSpec, durationMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(HTTP_WORKER, { eval: true, workerData: { url, spec, concurrency: CONCURRENCY, durationMs } });
    let result: Run | undefined;
    worker.once('message', (message: Run) => (result = message));
    worker.once('error', reject);
    worker.once('exit', (code) => (result ? resolve(result) : reject(new Error(`HTTP load worker exited with ${code}`))));
  });
}

const runtime = await startLocalRuntime({ port: 0, prober: false });
const url = runtime.url;
const floor = new DynamoDBClient(localClientConfig(runtime.dynamoEndpoint));
const table = runtime.tableName;

async function put(path: string, body: object): Promise<void> {
  const res = await fetch(`${url}${path}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await res.arrayBuffer();
  if (res.status !== 200 && res.status !== 201) throw new Error(`seeding ${path}: ${res.status}`);
}

interface Side {
  readonly label: string;
  readonly run: (durationMs: number) => Promise<Run>;
}
interface Pair {
  readonly name: string;
  readonly ours: Side;
  readonly floor: Side;
}

try {
  // Seed: the discovered service, and the instances both register sides replace (so every measured register is a
  // replace, one write: the steady state; a first registration adds the service counter's write). Hour-long
  // leases, so none lapses during the run and turns a replace into a creation.
  await load(CATALOG, 16, (k) => put(`/v1/services/catalog/instances/c-${k}`, { address: `10.1.0.${k}`, port: 80, leaseSeconds: 3600 }));
  await load(REGISTERED * 2, 16, (j) =>
    put(`/v1/services/bench/instances/${j % 2 ? 'f' : 'b'}-${j >> 1}`, { address: '10.2.0.1', port: 1000 + (j >> 1), leaseSeconds: 3600 }),
  );
  const bench = await storedItems(floor, table, 'bench');
  const templates = Array.from({ length: REGISTERED }, (_, k) => bench.get(`f-${k}`)!);
  const owner = templates[0]!.owner!.S!;
  let revision = Date.now();

  const floorSide = (label: string, task: (i: number) => Promise<unknown>): Side => ({
    label,
    run: (durationMs) => loadFor(durationMs, CONCURRENCY, async (i) => void (await task(i))),
  });
  const httpSide = (label: string, spec: HttpSpec): Side => ({ label, run: (durationMs) => httpLoad(url, spec, durationMs) });

  const pairs: Pair[] = [
    {
      name: 'register',
      ours: httpSide('register (HTTP API, replace)', {
        method: 'PUT',
        path: '/v1/services/bench/instances/b-{k}',
        body: '{"address":"10.2.0.1","port":{port},"leaseSeconds":3600}',
        mod: REGISTERED,
        expect: [200, 201],
      }),
      // register's condition and return values (bench/floor-requests.ts), writing copies of registered items.
      floor: floorSide('conditional PutItem (SDK floor)', (i) =>
        floor.send(conditionalPut(table, templates[i % REGISTERED]!, owner, Date.now(), ++revision, 3600)),
      ),
    },
    {
      name: 'heartbeat',
      ours: httpSide('heartbeat (HTTP API)', { method: 'POST', path: '/v1/services/catalog/instances/c-{k}/heartbeat', mod: CATALOG, expect: [200] }),
      floor: floorSide('heartbeat UpdateItem (SDK floor)', (i) => floor.send(heartbeatUpdate(table, 'catalog', `c-${i % CATALOG}`, owner, Date.now()))),
    },
    {
      name: `discover (${CATALOG} instances)`,
      ours: httpSide(`discover ${CATALOG} (HTTP API)`, { method: 'GET', path: `/v1/services/catalog/instances?limit=${CATALOG}`, mod: 1, expect: [200] }),
      floor: floorSide(`Query ${CATALOG} items (SDK floor)`, () => floor.send(instanceQuery(table, 'catalog', CATALOG, INSTANCE_PROJECTION))),
    },
  ];

  console.log(
    `bench:floor — c=${CONCURRENCY}, ${ROUNDS} × ${SECONDS} s per side and operation (alternating), ${WARMUP_SECONDS} s warm-up; ` +
      `registration item ≈ ${itemBytes(templates[0]!)} B; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
  );
  type Tally = { latencies: number[]; requests: number; wallMs: number; cpuUs: number };
  const results = new Map<Side, Tally>();
  const measure = async (side: Side) => {
    const cpu0 = process.cpuUsage();
    const run = await side.run(SECONDS * 1000);
    const cpu = process.cpuUsage(cpu0);
    const tally = results.get(side) ?? { latencies: [], requests: 0, wallMs: 0, cpuUs: 0 };
    for (const l of run.latencies) tally.latencies.push(l);
    tally.requests += run.requests;
    tally.wallMs += run.wallMs;
    tally.cpuUs += cpu.user + cpu.system;
    results.set(side, tally);
  };
  for (const pair of pairs) {
    await pair.floor.run(WARMUP_SECONDS * 1000);
    await pair.ours.run(WARMUP_SECONDS * 1000);
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? [pair.floor, pair.ours] : [pair.ours, pair.floor];
      for (const side of order) await measure(side);
    }
  }

  const rate = (t: Tally) => (t.requests / t.wallMs) * 1000;
  // Process CPU: the runtime (HTTP server, handlers, SDK), the stream consumers and, for ours, the worker's load
  // generator; not DynamoDB Local, which runs in its own Java process.
  console.log('| operation | concurrency | req/s | p50 ms | p99 ms | process CPU ms/req |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const pair of pairs) {
    for (const side of [pair.ours, pair.floor]) {
      const t = results.get(side)!;
      console.log(
        `| ${side.label} | ${CONCURRENCY} | ${rate(t).toFixed(0)} | ${quantile(t.latencies, 0.5).toFixed(2)} | ${quantile(t.latencies, 0.99).toFixed(2)} | ${(t.cpuUs / 1000 / t.requests).toFixed(2)} |`,
      );
    }
  }
  console.log('');
  console.log('| figure | ours | floor | ours/floor | target |');
  console.log('|---|---:|---:|---:|---:|');
  for (const pair of pairs) {
    const ours = results.get(pair.ours)!;
    const theirs = results.get(pair.floor)!;
    const ratio = rate(ours) / rate(theirs);
    console.log(
      `| ${pair.name} req/s at c=${CONCURRENCY} | ${rate(ours).toFixed(0)} | ${rate(theirs).toFixed(0)} | ${ratio.toFixed(2)} | ≥ ${TARGET} ${ratio >= TARGET ? '(met)' : '(not met)'} |`,
    );
    console.log(
      `| ${pair.name} p99 ms at c=${CONCURRENCY} | ${quantile(ours.latencies, 0.99).toFixed(2)} | ${quantile(theirs.latencies, 0.99).toFixed(2)} | ${(quantile(ours.latencies, 0.99) / quantile(theirs.latencies, 0.99)).toFixed(2)} | – |`,
    );
  }
} finally {
  floor.destroy();
  await runtime.stop();
}
