/**
 * `npm run bench:cpu`: CPU per request of the register, heartbeat and discover functions, in process, with nothing
 * between the call and the handler: dependencies built as the local runtime builds them (`createPlatform` over a
 * client pointed at DynamoDB Local, a Logger at WARN, `NO_TELEMETRY`), the handlers made by their factories, invoked
 * one at a time with the API Gateway v2 event the local stand-in builds (local/api-gateway.ts). No HTTP server, no
 * load generator: events and contexts are built before the measured loop, and requests are sequential, so the
 * process does nothing but the request while it is measured. DynamoDB Local runs in its own (Java) process and is
 * not counted; the SDK's HTTP client, marshalling and parsing are, as they are in Lambda.
 *
 * Beside the handlers, the same work without them, to show where the CPU goes: the raw SDK requests the routes make
 * (bench/floor-requests.ts), the document client's Query (unmarshalling), the same with a two-attribute
 * projection, the adapter's `page()` (document client plus item → instance), and `JSON.parse` of discover's
 * response body. Targets from issue #16: discover ≤ 1.5 ms, register ≤ 1.0 ms, heartbeat ≤ 0.5 ms.
 *
 * Measured with `process.cpuUsage()` (user + system, every thread of the process: GC helpers included) around each
 * request. Settings: BENCH_CPU_REQUESTS per row (default 1000), BENCH_CPU_ROUNDS they are spread over (default 5),
 * BENCH_CPU_WARMUP per row (default 200).
 */
import { cpus } from 'node:os';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { DynamoDbInstanceStore } from '../lambdas/adapters/dynamodb-store.js';
import type { Caller } from '../lambdas/domain/caller.js';
import { NO_TELEMETRY } from '../lambdas/domain/telemetry.js';
import { discoverHandler } from '../lambdas/functions/discover.js';
import { heartbeatHandler } from '../lambdas/functions/heartbeat.js';
import { registerHandler } from '../lambdas/functions/register.js';
import { ROUTES, type RouteDefinition } from '../lambdas/routes.js';
import { INSTANCE_PREFIX, registryTable, servicePartition } from '../lambdas/table.js';
import { loadConfig } from '../lambdas/wiring/config.js';
import { createDependencies } from '../lambdas/wiring/dependencies.js';
import { createPlatform } from '../lambdas/wiring/platform.js';
import { bootstrapTable } from '../local/bootstrap-table.js';
import { apiGatewayEvent } from '../local/api-gateway.js';
import { localClientConfig, startDynamoDbLocal } from '../local/dynamodb-local.js';
import { lambdaContext } from '../local/lambda-context.js';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { INSTANCE_PROJECTION, toInstance } from '../lambdas/adapters/items.js';
import { conditionalPut, heartbeatUpdate, instanceQuery, itemBytes, storedItems } from './floor-requests.js';
import { quantile } from './stats.js';

const REQUESTS = Number(process.env.BENCH_CPU_REQUESTS ?? 1000);
const WARMUP = Number(process.env.BENCH_CPU_WARMUP ?? 200);
const ROUNDS = Number(process.env.BENCH_CPU_ROUNDS ?? 5);
const CATALOG = 100;
const REGISTERED = 500;
const TABLE = 'service-registry';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** The local runtime's open-mode caller (local/auth.ts): may write and read every service. */
const CALLER: Caller = { principal: 'anonymous', services: ['*'], read: ['*'], admin: false };

/** The document client's Query of the catalog service's instances, optionally projecting `attributes`. */
function catalogQuery(attributes: readonly string[] = []): QueryCommand {
  const projected = Object.fromEntries(attributes.map((name, i) => [`#a${i}`, name]));
  return new QueryCommand({
    TableName: TABLE,
    KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
    ...(attributes.length > 0 && { ProjectionExpression: Object.keys(projected).join(', ') }),
    ExpressionAttributeNames: { '#pk': registryTable.partitionKey, '#sk': registryTable.sortKey, ...projected },
    ExpressionAttributeValues: { ':pk': servicePartition('catalog'), ':prefix': INSTANCE_PREFIX },
    Limit: CATALOG,
  });
}

/**
 * An API Gateway HTTP API (payload 2.0) event, built by local/api-gateway.ts's own `apiGatewayEvent`, for `route`:
 * lower-case headers, the authorizer context the registry's token authorizer gives.
 */
function httpEvent(
  route: RouteDefinition,
  params: Record<string, string>,
  options: { query?: Record<string, string>; body?: string } = {},
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = { host: '127.0.0.1:4000', 'user-agent': 'bench-cpu', accept: '*/*' };
  if (options.body !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(options.body)) });
  return apiGatewayEvent({
    route,
    rawPath: route.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name]!)),
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    headers,
    pathParameters: params,
    body: Buffer.from(options.body ?? ''),
    caller: CALLER,
  });
}

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<{ statusCode: number; body?: string }>;

/** A prepared invocation: event and context built outside the measured window, the status checked after it. */
function invocation(handler: Handler, route: RouteDefinition, event: APIGatewayProxyEventV2, expect: readonly number[]) {
  const context = lambdaContext(route.id, 29_000);
  return {
    run: () => handler(event, context),
    check: (result: unknown) => {
      const status = (result as { statusCode: number }).statusCode;
      if (!expect.includes(status)) throw new Error(`${route.id}: unexpected status ${status}: ${(result as { body?: string }).body}`);
    },
  };
}

interface Call {
  run(): unknown;
  check?(result: unknown): void;
}

interface Row {
  readonly name: string;
  readonly calls: (count: number, offset: number) => Call[];
  readonly targetUs?: number;
}

/** CPU µs and wall ms of each call, one at a time. */
async function measure(calls: Call[]): Promise<{ cpuUs: number[]; wallMs: number[] }> {
  const cpuUs: number[] = [];
  const wallMs: number[] = [];
  for (const call of calls) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const result = await call.run();
    const c = process.cpuUsage(c0);
    wallMs.push(performance.now() - t0);
    cpuUs.push(c.user + c.system);
    call.check?.(result);
  }
  return { cpuUs, wallMs };
}

const db = await startDynamoDbLocal();
const client = new DynamoDBClient(localClientConfig(db.endpoint));
try {
  await bootstrapTable(client, TABLE);
  const logger = new Logger({ serviceName: 'service-registry', logLevel: 'WARN' });
  const platform = createPlatform(loadConfig({ TABLE_NAME: TABLE, REGISTRY_ALLOW_LOOPBACK: 'true' }), { logger, telemetry: NO_TELEMETRY, dynamodb: client });
  const deps = createDependencies(platform);
  const register = registerHandler(deps) as unknown as Handler;
  const heartbeat = heartbeatHandler(deps) as unknown as Handler;
  const discover = discoverHandler(deps) as unknown as Handler;
  const store = new DynamoDbInstanceStore(platform.documentClient, TABLE);

  const registerCall = (service: string, instanceId: string, port: number, expect: readonly number[]) =>
    invocation(
      register,
      ROUTES.RegisterInstance,
      httpEvent(ROUTES.RegisterInstance, { service, instanceId }, { body: JSON.stringify({ address: '10.2.0.1', port, leaseSeconds: 3600 }) }),
      expect,
    );
  // Seed: the discovered service (100 instances), the instances register replaces, and the floor's templates.
  for (let k = 0; k < CATALOG; k++) {
    const call = invocation(
      register,
      ROUTES.RegisterInstance,
      httpEvent(
        ROUTES.RegisterInstance,
        { service: 'catalog', instanceId: `c-${k}` },
        { body: JSON.stringify({ address: `10.1.0.${k}`, port: 80, leaseSeconds: 3600 }) },
      ),
      [201],
    );
    call.check(await call.run());
  }
  for (let k = 0; k < REGISTERED; k++) {
    for (const id of [`b-${k}`, `f-${k}`]) {
      const call = registerCall('bench', id, 1000 + k, [201]);
      call.check(await call.run());
    }
  }
  const bench = await storedItems(client, TABLE, 'bench');
  const templates = Array.from({ length: REGISTERED }, (_, k) => bench.get(`f-${k}`)!);
  const owner = templates[0]!.owner!.S!;
  let revision = Date.now();
  let fresh = 0;

  const range = (count: number, offset: number) => Array.from({ length: count }, (_, j) => offset + j);
  const rows: Row[] = [
    {
      name: 'register (handler, replace: one write)',
      targetUs: 1000,
      calls: (n, o) => range(n, o).map((i) => registerCall('bench', `b-${i % REGISTERED}`, 1000 + (i % REGISTERED), [200])),
    },
    { name: 'register (handler, new instance)', calls: (n) => range(n, 0).map(() => registerCall('fresh', `n-${fresh++}`, 2000, [201])) },
    {
      name: 'heartbeat (handler)',
      targetUs: 500,
      calls: (n, o) =>
        range(n, o).map((i) =>
          invocation(heartbeat, ROUTES.Heartbeat, httpEvent(ROUTES.Heartbeat, { service: 'catalog', instanceId: `c-${i % CATALOG}` }), [200]),
        ),
    },
    {
      name: `discover ${CATALOG} (handler)`,
      targetUs: 1500,
      calls: (n) =>
        range(n, 0).map(() =>
          invocation(
            discover,
            ROUTES.DiscoverInstances,
            httpEvent(ROUTES.DiscoverInstances, { service: 'catalog' }, { query: { limit: String(CATALOG) } }),
            [200],
          ),
        ),
    },
    {
      name: `Query ${CATALOG} items, raw client (AttributeValues), the adapter's projection`,
      calls: (n) => range(n, 0).map(() => ({ run: () => client.send(instanceQuery(TABLE, 'catalog', CATALOG, INSTANCE_PROJECTION)) })),
    },
    {
      name: `Query ${CATALOG} items, document client (unmarshalled)`,
      calls: (n) =>
        range(n, 0).map(() => ({
          run: () => platform.documentClient.send(catalogQuery()),
        })),
    },
    {
      name: `Query ${CATALOG} items, document client, 2-attribute projection`,
      calls: (n) =>
        range(n, 0).map(() => ({
          run: () => platform.documentClient.send(catalogQuery(['address', 'port'])),
        })),
    },
    {
      name: `adapter page(${CATALOG}) (document client + item → instance)`,
      calls: (n) => range(n, 0).map(() => ({ run: () => store.page('catalog', undefined, CATALOG) })),
    },
    {
      name: 'conditional PutItem, raw client (register floor)',
      calls: (n, o) =>
        range(n, o).map((i) => ({ run: () => client.send(conditionalPut(TABLE, templates[i % REGISTERED]!, owner, Date.now(), ++revision, 3600)) })),
    },
    {
      name: 'heartbeat UpdateItem, raw client (heartbeat floor)',
      calls: (n, o) => range(n, o).map((i) => ({ run: () => client.send(heartbeatUpdate(TABLE, 'catalog', `c-${i % CATALOG}`, owner, Date.now())) })),
    },
  ];

  // The discover response body, for the JSON.parse row: the same payload a client (or a compact item) would parse.
  const sample = invocation(
    discover,
    ROUTES.DiscoverInstances,
    httpEvent(ROUTES.DiscoverInstances, { service: 'catalog' }, { query: { limit: String(CATALOG) } }),
    [200],
  );
  const body = ((await sample.run()) as { body: string }).body;
  rows.push({
    name: `JSON.parse of discover's ${CATALOG}-instance body (${(Buffer.byteLength(body) / 1024).toFixed(1)} KB)`,
    calls: (n) => range(n, 0).map(() => ({ run: () => JSON.parse(body) })),
  });

  console.log(
    `bench:cpu — ${REQUESTS} sequential requests per row in ${ROUNDS} interleaved rounds, after ${WARMUP} warm-up, in process; ` +
      `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
  );
  // Rows are measured in rounds, each row a share of its requests per round in rotated order, so a change in the
  // machine's load (shared, on a laptop or CI) falls on every row alike instead of on whichever ran then.
  const samples = new Map<Row, { cpuUs: number[]; wallMs: number[] }>(rows.map((row) => [row, { cpuUs: [], wallMs: [] }]));
  for (const row of rows) await measure(row.calls(WARMUP, 0));
  const share = Math.ceil(REQUESTS / ROUNDS);
  for (let round = 0; round < ROUNDS; round++) {
    for (let r = 0; r < rows.length; r++) {
      const row = rows[(r + round) % rows.length]!;
      const measured = await measure(row.calls(share, WARMUP + round * share));
      samples.get(row)!.cpuUs.push(...measured.cpuUs);
      samples.get(row)!.wallMs.push(...measured.wallMs);
    }
  }
  // An instance item's size (what a Query of it bills), and the same instance and storage attributes stored one
  // attribute per field, as items were first written.
  const sampleItem = (await storedItems(client, TABLE, 'catalog')).get('c-0')!;
  const { record: _compact, ...storage } = sampleItem;
  const perField = { ...storage, ...marshall({ ...toInstance(unmarshall(sampleItem)) }, { removeUndefinedValues: true }) };
  console.log(`instance item (catalog c-0): ${itemBytes(sampleItem)} bytes; one attribute per field: ${itemBytes(perField)} bytes`);
  console.log('| operation | CPU µs/req mean | CPU µs p50 | CPU µs p99 | wall ms p50 | target µs |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const row of rows) {
    const { cpuUs, wallMs } = samples.get(row)!;
    const mean = cpuUs.reduce((a, b) => a + b, 0) / cpuUs.length;
    const target = row.targetUs === undefined ? '–' : `≤ ${row.targetUs} ${mean <= row.targetUs ? '(met)' : '(not met)'}`;
    console.log(
      `| ${row.name} | ${mean.toFixed(0)} | ${quantile(cpuUs, 0.5).toFixed(0)} | ${quantile(cpuUs, 0.99).toFixed(0)} | ${quantile(wallMs, 0.5).toFixed(2)} | ${target} |`,
    );
  }
} finally {
  client.destroy();
  await db.stop();
}
