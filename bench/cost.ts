/**
 * `npm run bench:cost`: simulates a fleet through the local runtime and counts what AWS would bill, per mode:
 * - heartbeat mode: BENCH_FLEET instances (default 1,000) with 60 s leases renewed every 60 s;
 * - probe-driven mode: the same fleet with HTTP health checks and no heartbeats, 10 s prober rounds.
 * A compressed window (BENCH_MINUTES simulated minutes, default 5) is run and scaled to a 30-day month.
 * Counted: API requests, Lambda invocations and GB-seconds (measured handler durations at the configured memory),
 * DynamoDB read and write units (ReturnConsumedCapacity on every request), EventBridge events, SQS requests for
 * BENCH_GATEWAYS subscribed gateways (default 3). Priced with bench/prices.ts.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startLocalRuntime } from '../local/runtime.js';
import { PRICES } from './prices.js';
import { load } from './stats.js';

const FLEET = Number(process.env.BENCH_FLEET ?? 1000);
const MINUTES = Number(process.env.BENCH_MINUTES ?? 5);
const GATEWAYS = Number(process.env.BENCH_GATEWAYS ?? 3);
const MONTH_MINUTES = 30 * 24 * 60;
const ROUTE_MEMORY_GB = 0.256;
const PROBER_MEMORY_GB = 0.256;

interface Counts {
  apiRequests: number;
  routeMs: number;
  publisherInvocations: number;
  publisherMs: number;
  rru: number;
  wru: number;
  events: number;
}
const zero = (): Counts => ({ apiRequests: 0, routeMs: 0, publisherInvocations: 0, publisherMs: 0, rru: 0, wru: 0, events: 0 });
let counts = zero();
let counting = false;

// Health endpoint for the probe-driven fleet (one server; each instance a distinct path, so each is probed).
const target = createServer((_req, res) => res.writeHead(200).end('ok'));
await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
const targetPort = (target.address() as AddressInfo).port;

// Every instance of this fleet shares one address:port, so lift the prober's per-endpoint cap (which protects a real
// host from one registrant's many check paths) to model 1,000 hosts with one instance each.
process.env.REGISTRY_PROBE_MAX_PER_ENDPOINT ??= String(FLEET);
const runtime = await startLocalRuntime({
  port: 0,
  probeIntervalSeconds: 10,
  onRequest: ({ ms }) => {
    if (!counting) return;
    counts.apiRequests++;
    counts.routeMs += ms;
  },
  onPublish: ({ ms }) => {
    if (!counting) return;
    counts.publisherInvocations++;
    counts.publisherMs += ms;
  },
});
// Count consumed capacity on every DynamoDB request the functions make (the runtime's own client, in process).
runtime.dynamodb.middlewareStack.add(
  (next) => async (args) => {
    const input = args.input as Record<string, unknown>;
    if (!('TransactItems' in input)) input.ReturnConsumedCapacity = 'TOTAL';
    const out = await next(args);
    const consumed = (out.output as { ConsumedCapacity?: { ReadCapacityUnits?: number; WriteCapacityUnits?: number; CapacityUnits?: number } })
      .ConsumedCapacity;
    if (counting && consumed) {
      counts.rru += consumed.ReadCapacityUnits ?? 0;
      counts.wru += consumed.WriteCapacityUnits ?? 0;
      // Some operations report only CapacityUnits: reads for Query/Get, writes otherwise.
      if (consumed.ReadCapacityUnits === undefined && consumed.WriteCapacityUnits === undefined && consumed.CapacityUnits !== undefined) {
        const kind = (args.input as { KeyConditionExpression?: string; Key?: unknown; UpdateExpression?: string }).UpdateExpression !== undefined ? 'w' : 'r';
        if (kind === 'w') counts.wru += consumed.CapacityUnits;
        else counts.rru += consumed.CapacityUnits;
      }
    }
    return out;
  },
  { step: 'initialize', name: 'countConsumedCapacity' },
);
const busSeq = () => (runtime.bus as unknown as { seq: number }).seq;

const put = (service: string, id: string, body: object) =>
  fetch(`${runtime.url}/v1/services/${service}/instances/${id}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).then((r) => r.arrayBuffer());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function measure(mode: string, setup: () => Promise<void>, run: () => Promise<void>) {
  await setup();
  await sleep(1500); // let registrations' events drain before counting
  const eventsBefore = busSeq();
  counts = zero();
  counting = true;
  const started = performance.now();
  await run();
  await sleep(500);
  counting = false;
  const wallMinutes = (performance.now() - started) / 60_000;
  return { mode, counts: { ...counts, events: busSeq() - eventsBefore }, wallMinutes };
}

try {
  // Heartbeat mode: every instance renews once per simulated minute.
  const heartbeat = await measure(
    'heartbeats every 60 s',
    async () => {
      await load(FLEET, 32, (i) => put('hb', `i-${i}`, { address: '10.1.0.1', port: 1000 + (i % 60000), leaseSeconds: 600 }).then(() => undefined));
    },
    async () => {
      for (let m = 0; m < MINUTES; m++) {
        // Low concurrency, so measured handler durations are not inflated by queueing on DynamoDB Local.
        await load(FLEET, 4, (i) => fetch(`${runtime.url}/v1/services/hb/instances/i-${i}/heartbeat`, { method: 'POST' }).then((r) => void r.arrayBuffer()));
      }
    },
  );
  // Probe-driven mode: no API traffic; the prober's rounds are what costs. Run real time for the rounds counted.
  const rounds = Math.min(MINUTES * 6, 6); // real 10 s rounds; scaled per minute below
  const probed = await measure(
    'probe-driven, 10 s rounds',
    async () => {
      await load(FLEET, 32, (i) =>
        put('probed', `p-${i}`, { address: '127.0.0.1', port: targetPort, healthCheck: { type: 'http', path: `/h/${i}`, intervalSeconds: 10 } }).then(
          () => undefined,
        ),
      );
      await sleep(35_000); // the first rounds settle health (unknown → passing) before counting
    },
    async () => {
      await sleep(rounds * 10_000);
    },
  );

  const perMonth = (value: number, simulatedMinutes: number) => (value / simulatedMinutes) * MONTH_MINUTES;
  const rows = [heartbeat, probed].map(({ mode, counts: c }, index) => {
    const simulated = index === 0 ? MINUTES : rounds / 6;
    const api = perMonth(c.apiRequests, simulated);
    const routeGbS = perMonth((c.routeMs / 1000) * ROUTE_MEMORY_GB, simulated);
    const pubInv = perMonth(c.publisherInvocations, simulated);
    const pubGbS = perMonth((c.publisherMs / 1000) * ROUTE_MEMORY_GB, simulated);
    const proberGbS = MONTH_MINUTES * 60 * PROBER_MEMORY_GB; // one invocation always running (per shard)
    const proberInv = MONTH_MINUTES;
    const rru = perMonth(c.rru, simulated);
    const wru = perMonth(c.wru, simulated);
    const events = perMonth(c.events, simulated);
    // EventBridge → SendMessage, then Receive and Delete per gateway queue; plus each gateway's idle 20 s long polls.
    const sqs = events * GATEWAYS * 3 + GATEWAYS * MONTH_MINUTES * 3;
    const dollars = {
      apiGateway: (api / 1e6) * PRICES.apiGatewayHttpPerMillionRequests,
      lambda: ((api + pubInv + proberInv) / 1e6) * PRICES.lambdaPerMillionRequests + (routeGbS + pubGbS + proberGbS) * PRICES.lambdaArmPerGbSecond,
      dynamoDb: (wru / 1e6) * PRICES.dynamoDbPerMillionWriteUnits + (rru / 1e6) * PRICES.dynamoDbPerMillionReadUnits,
      eventBridge: (events / 1e6) * PRICES.eventBridgePerMillionEvents,
      sqs: (sqs / 1e6) * PRICES.sqsPerMillionRequests,
    };
    const total = Object.values(dollars).reduce((a, b) => a + b, 0);
    return { mode, c, api, rru, wru, events, dollars, total, perInstance: total / FLEET };
  });

  console.log(`bench:cost — ${FLEET} instances, ${GATEWAYS} gateways, prices us-east-1 of ${PRICES.date}, node ${process.version}`);
  console.log('| mode | API req/mo | WRU/mo | RRU/mo | events/mo | API GW $ | Lambda $ | DynamoDB $ | EventBridge $ | SQS $ | $/instance-month |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const d = r.dollars;
    console.log(
      `| ${r.mode} | ${r.api.toExponential(2)} | ${r.wru.toExponential(2)} | ${r.rru.toExponential(2)} | ${r.events.toExponential(2)} | ${d.apiGateway.toFixed(2)} | ${d.lambda.toFixed(2)} | ${d.dynamoDb.toFixed(2)} | ${d.eventBridge.toFixed(2)} | ${d.sqs.toFixed(2)} | **${r.perInstance.toFixed(4)}** |`,
    );
  }
  console.log(`AWS Cloud Map: $${PRICES.cloudMapPerInstanceMonth.toFixed(2)} per instance-month.`);
  for (const r of rows) {
    const top = Object.entries(r.dollars).sort((a, b) => b[1] - a[1])[0]!;
    console.log(`${r.mode}: largest term ${top[0]} ($${top[1].toFixed(2)} of $${r.total.toFixed(2)} a month for the fleet)`);
  }
} finally {
  await runtime.stop();
  target.close();
}
