/**
 * `npm run bench:cost`: simulates a fleet through the local runtime, counts what AWS would bill, and prices it per
 * mode, table capacity mode and prober design:
 * - heartbeat mode: BENCH_FLEET instances (default 1,000) with leases renewed every 60 s, once one heartbeat per
 *   instance (`POST …/instances/{id}/heartbeat`), once batched: an agent holding BENCH_BATCH instances (default 10)
 *   renews them all in one `POST /v1/services/{service}/heartbeats`;
 * - probe-driven mode: the same fleet with HTTP health checks and no heartbeats, 10 s prober rounds.
 * Compressed windows (BENCH_MINUTES simulated minutes of heartbeats, default 3; one real minute of rounds) are run and
 * scaled to a 30-day month. Counted: API requests, Lambda invocations and GB-seconds (measured handler durations at
 * the configured memory), DynamoDB read and write units (ReturnConsumedCapacity on every request), EventBridge
 * events, SQS requests for BENCH_GATEWAYS subscribed gateways (default 3). Priced with bench/prices.ts.
 *
 * Capacity modes: on-demand prices the units counted; provisioned prices steady capacity, the month's average rate
 * divided by the auto-scaling target utilisation (BENCH_UTILIZATION, default 0.7, the construct's default), at
 * least the construct's minimum of 1 unit, plus the `services` index at its minimum (1 RCU, 1 WCU).
 *
 * Prober designs: always-on (one 256 MB invocation running all month per shard: what the construct deploys today)
 * and short invocations (one invocation per round, billed for the round only, at BENCH_PROBER_MEMORY_MB, default
 * 128). The short design is measured through the runtime's `onProberInvocation` hook when the runtime has one;
 * otherwise it is modelled from the rounds' own durations (`registry_probe_round_duration_seconds` on /metrics) as a
 * self-rescheduling SQS delay message per round (send, receive, delete) with Lambda's five idle pollers. A round's
 * fixed part (lock, service listing, guard state) is measured over two rounds of an empty registry and not scaled
 * with the fleet; the rest of a probe-driven round is. Heartbeat windows are compressed in time, so the prober's
 * own work is not in their counts: the prober term prices it.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startLocalRuntime } from '../local/runtime.js';
import { PRICES } from './prices.js';
import { load } from './stats.js';

const FLEET = Number(process.env.BENCH_FLEET ?? 1000);
const MINUTES = Number(process.env.BENCH_MINUTES ?? 3);
const GATEWAYS = Number(process.env.BENCH_GATEWAYS ?? 3);
const BATCH = Number(process.env.BENCH_BATCH ?? 10);
const UTILIZATION = Number(process.env.BENCH_UTILIZATION ?? 0.7);
const SHORT_PROBER_MEMORY_GB = Number(process.env.BENCH_PROBER_MEMORY_MB ?? 128) / 1024;
const MONTH_MINUTES = 30 * 24 * 60;
const MONTH_SECONDS = MONTH_MINUTES * 60;
const MONTH_HOURS = MONTH_MINUTES / 60;
const ROUTE_MEMORY_GB = 0.256;
const ALWAYS_ON_PROBER_MEMORY_GB = 0.256;
const ROUND_SECONDS = 10;
/** Lambda's SQS event source mapping: pollers long-polling an idle queue (20 s each). */
const SQS_IDLE_POLLERS = 5;

/** What the short-invocation prober reports per invocation (the runtime's `onProberInvocation`, when it has one). */
type ProberInvocation = { ms: number; trigger: 'schedule' | 'queue'; sqsRequests?: number };

interface Counts {
  apiRequests: number;
  routeMs: number;
  publisherInvocations: number;
  publisherMs: number;
  rru: number;
  wru: number;
  events: number;
  proberInvocations: ProberInvocation[];
  /** Prober rounds and their summed duration, from the runtime's metrics. */
  rounds: number;
  roundMs: number;
}
const zero = (): Counts => ({
  apiRequests: 0,
  routeMs: 0,
  publisherInvocations: 0,
  publisherMs: 0,
  rru: 0,
  wru: 0,
  events: 0,
  proberInvocations: [],
  rounds: 0,
  roundMs: 0,
});
let counts = zero();
let counting = false;

// Health endpoint for the probe-driven fleet (one server; each instance a distinct path, so each is probed).
const target = createServer((_req, res) => res.writeHead(200).end('ok'));
await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
const targetPort = (target.address() as AddressInfo).port;

// Every instance of this fleet shares one address:port, so lift the prober's per-endpoint cap (which protects a real
// host from one registrant's many check paths) to model 1,000 hosts with one instance each.
process.env.REGISTRY_PROBE_MAX_PER_ENDPOINT ??= String(FLEET);
// `onProberInvocation` is the short-invocation prober's hook; a runtime without it ignores the option.
const options: Parameters<typeof startLocalRuntime>[0] & { onProberInvocation?: (info: ProberInvocation) => void } = {
  port: 0,
  probeIntervalSeconds: ROUND_SECONDS,
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
  onProberInvocation: (info) => {
    if (counting) counts.proberInvocations.push(info);
  },
};
const runtime = await startLocalRuntime(options);
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

/** Prober rounds so far and their summed duration (ms), from the runtime's Prometheus metrics; zeros if absent. */
async function roundTotals(): Promise<{ rounds: number; ms: number }> {
  try {
    const text = await (await fetch(`${runtime.url}/metrics`)).text();
    const sum = Number(/^registry_probe_round_duration_seconds_sum(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1] ?? 0);
    const count = Number(/^registry_probe_round_duration_seconds_count(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1] ?? 0);
    return { rounds: count, ms: sum * 1000 };
  } catch {
    return { rounds: 0, ms: 0 };
  }
}

const put = (service: string, id: string, body: object) =>
  fetch(`${runtime.url}/v1/services/${service}/instances/${id}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).then((r) => r.arrayBuffer());
const post = (path: string, body?: object) =>
  fetch(`${runtime.url}${path}`, {
    method: 'POST',
    ...(body && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  }).then((r) => void r.arrayBuffer());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Measured {
  readonly mode: string;
  readonly c: Counts;
  /** Simulated minutes the counts stand for. */
  readonly minutes: number;
}

/** Waits until the bus has published nothing for a second (the setup's events drained), at most 30 s. */
async function settle(): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (let seen = busSeq(); Date.now() < deadline; ) {
    await sleep(1000);
    if (busSeq() === seen) return;
    seen = busSeq();
  }
}

async function measure(mode: string, minutes: number, setup: () => Promise<void>, run: () => Promise<void>): Promise<Measured> {
  const started = performance.now();
  await setup();
  await settle(); // let the setup's events drain before counting
  const eventsBefore = busSeq();
  const roundsBefore = await roundTotals();
  counts = zero();
  counting = true;
  await run();
  await sleep(500);
  counting = false;
  const roundsAfter = await roundTotals();
  const c = { ...counts, events: busSeq() - eventsBefore, rounds: roundsAfter.rounds - roundsBefore.rounds, roundMs: roundsAfter.ms - roundsBefore.ms };
  console.error(`bench:cost: ${mode} measured in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { mode, c, minutes };
}

type Capacity = 'on-demand' | 'provisioned';
type ProberDesign = 'always-on' | 'short';

interface Priced {
  readonly dollars: Record<'apiGateway' | 'lambda' | 'dynamoDb' | 'eventBridge' | 'sqs' | 'prober', number>;
  readonly total: number;
  readonly perInstance: number;
}

/**
 * A month's bill of `m` for a fleet of `fleet` instances: what scales with the fleet (requests, units, events,
 * probe time) is scaled from the measured fleet; what does not (the always-on prober, each round's fixed work,
 * gateways' idle polls, provisioned minimums) is not. `fixedRoundMs`: a round's duration with no probe-driven
 * instance (measured in heartbeat mode).
 */
function price(m: Measured, fleet: number, capacity: Capacity, prober: ProberDesign, fixedRoundMs: number): Priced {
  const { c } = m;
  const scale = fleet / FLEET;
  const perMonth = (value: number) => (value / m.minutes) * MONTH_MINUTES;
  const api = perMonth(c.apiRequests) * scale;
  const routeGbS = perMonth((c.routeMs / 1000) * ROUTE_MEMORY_GB) * scale;
  const pubInv = perMonth(c.publisherInvocations) * scale;
  const pubGbS = perMonth((c.publisherMs / 1000) * ROUTE_MEMORY_GB) * scale;
  const rru = perMonth(c.rru) * scale;
  const wru = perMonth(c.wru) * scale;
  const events = perMonth(c.events) * scale;
  // EventBridge → SendMessage, then Receive and Delete per gateway queue; plus each gateway's idle 20 s long polls.
  const sqs = events * GATEWAYS * 3 + GATEWAYS * MONTH_MINUTES * 3;

  let proberDollars: number;
  if (prober === 'always-on') {
    proberDollars = (MONTH_MINUTES / 1e6) * PRICES.lambdaPerMillionRequests + MONTH_SECONDS * ALWAYS_ON_PROBER_MEMORY_GB * PRICES.lambdaArmPerGbSecond;
  } else {
    const roundsPerMonth = MONTH_SECONDS / ROUND_SECONDS;
    const invocations = c.proberInvocations;
    // Per round: its fixed work, plus the probe-driven part scaled with the fleet.
    const measuredRoundMs = invocations.length > 0 ? invocations.reduce((s, i) => s + i.ms, 0) / invocations.length : c.rounds > 0 ? c.roundMs / c.rounds : 0;
    const roundMs = fixedRoundMs + Math.max(0, measuredRoundMs - fixedRoundMs) * scale;
    const perRoundSqs = invocations.length > 0 ? invocations.reduce((s, i) => s + (i.sqsRequests ?? 0), 0) / invocations.length : 3; // send, receive, delete
    const scheduled = invocations.length > 0 ? invocations.filter((i) => i.trigger === 'schedule').length / invocations.length : 0;
    const idlePolls = invocations.length > 0 && scheduled === 1 ? 0 : SQS_IDLE_POLLERS * 3 * MONTH_MINUTES;
    proberDollars =
      (roundsPerMonth / 1e6) * PRICES.lambdaPerMillionRequests +
      roundsPerMonth * (roundMs / 1000) * SHORT_PROBER_MEMORY_GB * PRICES.lambdaArmPerGbSecond +
      ((roundsPerMonth * (1 - scheduled) * perRoundSqs + idlePolls) / 1e6) * PRICES.sqsPerMillionRequests +
      ((roundsPerMonth * scheduled) / 1e6) * PRICES.eventBridgeSchedulerPerMillionInvocations;
  }

  let dynamoDb: number;
  if (capacity === 'on-demand') {
    dynamoDb = (wru / 1e6) * PRICES.dynamoDbPerMillionWriteUnits + (rru / 1e6) * PRICES.dynamoDbPerMillionReadUnits;
  } else {
    // Steady capacity: the average rate over the month at the target utilisation, at least the minimum of 1; the
    // services index at its minimum (it carries counter writes and list reads only).
    const wcu = Math.max(1, wru / MONTH_SECONDS / UTILIZATION) + 1;
    const rcu = Math.max(1, rru / MONTH_SECONDS / UTILIZATION) + 1;
    dynamoDb = wcu * MONTH_HOURS * PRICES.dynamoDbPerWcuHour + rcu * MONTH_HOURS * PRICES.dynamoDbPerRcuHour;
  }
  const dollars = {
    apiGateway: (api / 1e6) * PRICES.apiGatewayHttpPerMillionRequests,
    lambda: ((api + pubInv) / 1e6) * PRICES.lambdaPerMillionRequests + (routeGbS + pubGbS) * PRICES.lambdaArmPerGbSecond,
    dynamoDb,
    eventBridge: (events / 1e6) * PRICES.eventBridgePerMillionEvents,
    sqs: (sqs / 1e6) * PRICES.sqsPerMillionRequests,
    prober: proberDollars,
  };
  const total = Object.values(dollars).reduce((a, b) => a + b, 0);
  return { dollars, total, perInstance: total / fleet };
}

try {
  const agents = Math.ceil(FLEET / BATCH);
  // Heartbeat mode, one request per instance: every instance renews once per simulated minute.
  const single = await measure(
    'heartbeats every 60 s, one per request',
    MINUTES,
    async () => {
      await load(FLEET, 32, (i) => put('hb', `i-${i}`, { address: '10.1.0.1', port: 1000 + (i % 60000), leaseSeconds: 600 }).then(() => undefined));
    },
    async () => {
      for (let m = 0; m < MINUTES; m++) {
        // Low concurrency, so measured handler durations are not inflated by queueing on DynamoDB Local.
        await load(FLEET, 4, (i) => post(`/v1/services/hb/instances/i-${i}/heartbeat`));
      }
    },
  );
  // The same fleet, each agent renewing its BATCH instances in one request.
  const batched = await measure(
    `heartbeats every 60 s, ${BATCH} per request`,
    MINUTES,
    async () => undefined,
    async () => {
      for (let m = 0; m < MINUTES; m++) {
        await load(agents, 4, (a) =>
          post('/v1/services/hb/heartbeats', {
            instanceIds: Array.from({ length: Math.min(BATCH, FLEET - a * BATCH) }, (_, k) => `i-${a * BATCH + k}`),
          }),
        );
      }
    },
  );
  // The heartbeat fleet leaves (so the probe-driven rounds read only their own fleet), then two rounds with nothing
  // to probe or sweep measure a round's fixed work (lock, listing services, guard state).
  await load(FLEET, 32, (i) => fetch(`${runtime.url}/v1/services/hb/instances/i-${i}`, { method: 'DELETE' }).then((r) => void r.arrayBuffer()));
  const idle = await measure(
    'no instances, 10 s rounds',
    (2 * ROUND_SECONDS) / 60,
    async () => undefined,
    async () => void (await sleep(2 * ROUND_SECONDS * 1000)),
  );
  // Probe-driven mode: no API traffic; the prober's rounds are what costs. Run real time for the rounds counted.
  const rounds = 6; // one real minute of 10 s rounds
  const probed = await measure(
    'probe-driven, 10 s rounds',
    rounds / 6,
    async () => {
      await load(FLEET, 32, (i) =>
        put('probed', `p-${i}`, { address: '127.0.0.1', port: targetPort, healthCheck: { type: 'http', path: `/h/${i}`, intervalSeconds: 10 } }).then(
          () => undefined,
        ),
      );
      // The first rounds settle health (unknown → passing) before counting: wait until the first and the last
      // instance registered are passing (a round probes them all).
      const health = async (id: string) => ((await (await fetch(`${runtime.url}/v1/services/probed/instances/${id}`)).json()) as { health?: string }).health;
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && ((await health('p-0')) !== 'passing' || (await health(`p-${FLEET - 1}`)) !== 'passing')) await sleep(1000);
    },
    async () => {
      await sleep(rounds * ROUND_SECONDS * 1000);
    },
  );

  // A round's fixed work: the idle rounds had nothing to probe or sweep.
  const fixedRoundMs = idle.c.rounds > 0 ? idle.c.roundMs / idle.c.rounds : 0;
  const hookSeen = probed.c.proberInvocations.length > 0;
  const perMonth = (m: Measured, value: number) => (value / m.minutes) * MONTH_MINUTES;

  console.log(
    `bench:cost — ${FLEET} instances, ${GATEWAYS} gateways, batch ${BATCH} per heartbeat request, provisioned at ${Math.round(UTILIZATION * 100)} % utilisation, prices ${PRICES.region} of ${PRICES.date}, node ${process.version}`,
  );
  console.log('');
  console.log('| mode | API req/mo | WRU/mo | RRU/mo | events/mo | publisher invocations/mo | prober rounds measured | mean round ms |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const m of [single, batched, idle, probed]) {
    const meanRound = m.c.rounds > 0 ? (m.c.roundMs / m.c.rounds).toFixed(1) : 'n/a';
    console.log(
      `| ${m.mode} | ${perMonth(m, m.c.apiRequests).toExponential(2)} | ${perMonth(m, m.c.wru).toExponential(2)} | ${perMonth(m, m.c.rru).toExponential(2)} | ${perMonth(m, m.c.events).toExponential(2)} | ${perMonth(m, m.c.publisherInvocations).toExponential(2)} | ${m.c.rounds} | ${meanRound} |`,
    );
  }
  console.log('');
  console.log(`| mode | capacity | prober | API GW $ | Lambda $ | DynamoDB $ | EventBridge $ | SQS $ | prober $ | fleet $/month | $/instance-month |`);
  console.log('|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  const grid: Array<{ m: Measured; capacity: Capacity; prober: ProberDesign; p: Priced }> = [];
  for (const m of [single, batched, probed]) {
    for (const prober of ['always-on', 'short'] as const) {
      for (const capacity of ['on-demand', 'provisioned'] as const) {
        const p = price(m, FLEET, capacity, prober, fixedRoundMs);
        grid.push({ m, capacity, prober, p });
        const d = p.dollars;
        console.log(
          `| ${m.mode} | ${capacity} | ${prober}${prober === 'short' && !hookSeen ? ' (modelled)' : ''} | ${d.apiGateway.toFixed(2)} | ${d.lambda.toFixed(2)} | ${d.dynamoDb.toFixed(2)} | ${d.eventBridge.toFixed(2)} | ${d.sqs.toFixed(2)} | ${d.prober.toFixed(2)} | ${p.total.toFixed(2)} | **${p.perInstance.toFixed(4)}** |`,
        );
      }
    }
  }

  // The figures the issue sets targets for, at the fleet sizes it names (scaled from the measured fleet).
  const best = (m: Measured, fleet: number, designs: readonly ProberDesign[]) => {
    const options = designs.flatMap((prober) =>
      (['on-demand', 'provisioned'] as const).map((capacity) => ({ prober, capacity, p: price(m, fleet, capacity, prober, fixedRoundMs) })),
    );
    return options.sort((a, b) => a.p.total - b.p.total)[0]!;
  };
  const describe = (o: { prober: ProberDesign; capacity: Capacity }) => `${o.capacity}, ${o.prober} prober`;
  const probe1000 = best(probed, 1000, ['short']);
  const probe1000Now = best(probed, 1000, ['always-on']);
  const hb1000 = best(batched, 1000, ['short', 'always-on']);
  const hbSingle1000 = best(single, 1000, ['short', 'always-on']);
  const probe10 = best(probed, 10, ['short', 'always-on']);
  const hb10 = best(batched, 10, ['short', 'always-on']);
  console.log('');
  console.log('| figure | value | target | cheapest combination |');
  console.log('|---|---:|---:|---|');
  console.log(
    `| probe-driven $/instance-month, 1,000 instances, short-invocation prober | ${probe1000.p.perInstance.toFixed(4)} | ≤ 0.004 | ${describe(probe1000)} |`,
  );
  console.log(
    `| probe-driven $/instance-month, 1,000 instances, always-on prober | ${probe1000Now.p.perInstance.toFixed(4)} | – | ${describe(probe1000Now)} |`,
  );
  console.log(`| heartbeat $/instance-month, 1,000 instances, ${BATCH} per request | ${hb1000.p.perInstance.toFixed(4)} | ≤ 0.03 | ${describe(hb1000)} |`);
  console.log(
    `| heartbeat $/instance-month, 1,000 instances, one per request | ${hbSingle1000.p.perInstance.toFixed(4)} | ≤ 0.03 | ${describe(hbSingle1000)} |`,
  );
  console.log(`| 10-instance fleet $/month, probe-driven | ${probe10.p.total.toFixed(2)} | ≤ 1 | ${describe(probe10)} |`);
  console.log(`| 10-instance fleet $/month, heartbeats ${BATCH} per request | ${hb10.p.total.toFixed(2)} | ≤ 1 | ${describe(hb10)} |`);
  console.log('');
  console.log(`AWS Cloud Map: $${PRICES.cloudMapPerInstanceMonth.toFixed(2)} per instance-month.`);
  console.log(
    hookSeen
      ? `Short-invocation prober: measured through onProberInvocation (${probed.c.proberInvocations.length} invocations), at ${Math.round(SHORT_PROBER_MEMORY_GB * 1024)} MB.`
      : `Short-invocation prober: modelled (this runtime has no onProberInvocation): one invocation per ${ROUND_SECONDS} s round billed for the round's measured duration at ${Math.round(SHORT_PROBER_MEMORY_GB * 1024)} MB, a fixed part of ${fixedRoundMs.toFixed(1)} ms (rounds with nothing to probe); 3 SQS requests per round and ${SQS_IDLE_POLLERS} idle pollers.`,
  );
  for (const { m, capacity, prober, p } of grid.filter((g) => g.capacity === 'on-demand' && g.prober === 'always-on')) {
    const top = Object.entries(p.dollars).sort((a, b) => b[1] - a[1])[0]!;
    console.log(`${m.mode} (${capacity}, ${prober} prober): largest term ${top[0]} ($${top[1].toFixed(2)} of $${p.total.toFixed(2)} a month for the fleet)`);
  }
} finally {
  await runtime.stop();
  target.close();
}
