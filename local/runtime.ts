/**
 * The whole registry on one machine: DynamoDB Local, the table as CDK defines it, and the local API Gateway
 * serving the unchanged handlers through the real AWS SDK clients. The runtime is a composition root like the
 * functions' `fromEnv()`: it builds the dependencies (clients pointed at DynamoDB Local and the local bus, a logger,
 * the local metrics) and hands them to the same factories (`lambdas/functions/`); it never sets `process.env`, so two
 * runtimes in one process keep their own table, bus and metrics.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import ipaddr from 'ipaddr.js';
import { DEFAULTS } from '../packages/contracts/src/defaults.js';
import { routes, type RouteDefinition } from '../lambdas/routes.js';
import { createApiGateway, type LambdaHandler } from './api-gateway.js';
import { createConsoleSite } from './console.js';
import { loadAuthorizer, tableTokens } from './auth.js';
import { bootstrapTable } from './bootstrap-table.js';
import { startRegistryDns } from './dns-server.js';
import { DEFAULT_DNS_DOMAIN, DEFAULT_DNS_TTL_SECONDS } from '../lambdas/connectors/dns.js';
import { localClientConfig, startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local.js';
import { startSchedule, type Schedule, type ScheduledHandler } from './scheduler.js';
import { LocalDelayQueue } from './delay-queue.js';
import { LocalEventBus } from './event-bus.js';
import { LocalBusSink } from './bus-sink.js';
import { startStreamPoller, type StreamHandler } from './stream-poller.js';
import { mayRead } from '../lambdas/domain/caller.js';
import { ForbiddenError } from '../lambdas/domain/errors.js';
import { RouteNotFoundError } from '../lambdas/http/errors.js';
import { DynamoDbHistoryStore } from '../lambdas/adapters/dynamodb-history-store.js';
import { DynamoDbInstanceStore } from '../lambdas/adapters/dynamodb-store.js';
import { EventBridgeSink } from '../lambdas/adapters/eventbridge-sink.js';
import type { EventSink } from '../lambdas/domain/publisher.js';
import { fastNotifier } from '../lambdas/wiring/fast-publish.js';
import { historyHandler } from '../lambdas/functions/history.js';
import { HTTP_FUNCTIONS } from '../lambdas/functions/index.js';
import { proberHandler } from '../lambdas/functions/prober.js';
import { proberTimeoutSeconds, SCHEDULE_PERIOD_MS } from '../lambdas/domain/prober-loop.js';
import { publisherHandler } from '../lambdas/functions/publisher.js';
import { flag, historyRetentionDays, loadConfig, loadProberConfig, loadPublisherConfig } from '../lambdas/wiring/config.js';
import { createDependencies, type Dependencies } from '../lambdas/wiring/dependencies.js';
import { createPlatform } from '../lambdas/wiring/platform.js';
import { createLocalMetrics } from './metrics.js';

export interface LocalRuntimeOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 4000; 0 picks a free port */
  readonly port?: number;
  /** Persist DynamoDB Local here. @default in memory */
  readonly dataDir?: string;
  /** Bearer-token file; without it the runtime is open (principal `anonymous`) and must bind loopback. */
  readonly authFile?: string;
  /** Use this running DynamoDB (Local) instead of starting one (tests share one per run). */
  readonly dynamoEndpoint?: string;
  /** @default 'service-registry' */
  readonly tableName?: string;
  /** Access log per request. */
  readonly onRequest?: Parameters<typeof createApiGateway>[0]['onRequest'];
  /** Allow loopback instance addresses. @default true locally (AWS defaults to false) */
  readonly allowLoopback?: boolean;
  /** Run the scheduled prober/sweeper. @default true */
  readonly prober?: boolean;
  /** Seconds between prober rounds (`REGISTRY_PROBE_INTERVAL_SECONDS`). @default 10 */
  readonly probeIntervalSeconds?: number;
  /** Stream poll interval (`REGISTRY_STREAM_POLL_MS`). @default 50 */
  readonly streamPollMs?: number;
  /**
   * The fast path of change events (`REGISTRY_FAST_PUBLISH`): the writing functions publish each change to the bus
   * right after the write, and the stream publisher publishes the same event again as the backstop (the bus and
   * every subscriber drop the second copy by `eventId`). Off, only the stream publisher publishes. @default true
   */
  readonly fastPublish?: boolean;
  /** Wraps the fast path's sink (tests inject its failures through it; the stream publisher's is not wrapped). @default none */
  readonly fastPublishSink?: (sink: EventSink) => EventSink;
  /** Called after each publisher invocation (the cost benchmark counts them). */
  readonly onPublish?: (info: { records: number; ms: number }) => void;
  /**
   * Called after each prober invocation (the cost benchmark bills them): its wall time (what Lambda bills), what
   * invoked it (`schedule`: the per-minute rule, which also queues the minute's later rounds; `queue`: one delayed
   * round message), and the SQS requests it makes in AWS: the scheduled one's SendMessageBatch requests (one per ten
   * rounds); for a round message, the receive that returned it and its delete (2; 1 when it failed). Not included:
   * the event source's idle long polls, which run whatever the prober does (2 to 5 pollers, one 20 s poll each:
   * 6 to 15 requests a minute per queue).
   */
  readonly onProberInvocation?: (info: { ms: number; trigger: 'schedule' | 'queue'; sqsRequests: number }) => void;
  /**
   * Run the change-history writer, the stream's second consumer. Off, `GET …/history` answers with no entries (the
   * test suite turns it off where history is not read: see test/support.ts). @default true
   */
  readonly history?: boolean;
  /** Wraps the change-history writer, the stream's second consumer (tests inject faults through it). @default none */
  readonly historyHandler?: (writer: StreamHandler) => StreamHandler;
  /** Stream stand-in: first retry delay after a failed batch, doubling up to 5 s (tests shorten it). @default 100 */
  readonly streamRetryBaseMs?: number;
  /** DNS server port, UDP and TCP, on `host` (`REGISTRY_DNS_PORT`; `npm start` defaults to 8600). 0 picks a free one. @default 'off' */
  readonly dnsPort?: number | 'off';
  /** The domain DNS answers for (`REGISTRY_DNS_DOMAIN`). @default 'registry.internal' */
  readonly dnsDomain?: string;
  /** TTL of DNS answers (`REGISTRY_DNS_TTL_SECONDS`). @default 5 */
  readonly dnsTtlSeconds?: number;
  /** Services DNS may show when an auth file is set (`REGISTRY_DNS_READ`; see local/dns-server.ts). @default - none */
  readonly dnsRead?: readonly string[];
}

/**
 * The prober's lock holder for this runtime (`REGISTRY_PROBER_HOLDER`): the same for every run on one data
 * directory, so a runtime restarted on it recognises the lock its previous run left behind and takes it over at
 * once; random when in memory (nothing survives, and two in-memory runtimes must not pass for each other).
 */
export function proberHolder(dataDir: string | undefined): string {
  return dataDir ? `local:${createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 16)}` : `local:${randomUUID()}`;
}

export interface LocalRuntime {
  readonly url: string;
  readonly dynamoEndpoint: string;
  readonly tableName: string;
  /** The event bus stand-in (tests inject PutEvents faults through it). */
  readonly bus: LocalEventBus;
  /** The DynamoDB client every function of this runtime uses (tests and the cost benchmark count its requests). */
  readonly dynamodb: DynamoDBClient;
  /** The DNS server's port (UDP and TCP), when it runs. */
  readonly dnsPort?: number;
  stop(): Promise<void>;
}

/** True for 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  return ipaddr.isValid(host) && ipaddr.process(host).range() === 'loopback';
}

/**
 * @example
 * const runtime = await startLocalRuntime({ port: 0 });
 * await fetch(`${runtime.url}/v1/health`);
 * await runtime.stop();
 */
export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const host = options.host ?? '127.0.0.1';
  // Bearer tokens: the auth file's, then those admins created in the table (lambdas/domain/tokens.ts).
  let deps: Dependencies | undefined;
  const { authorize, enabled } = loadAuthorizer(
    options.authFile,
    tableTokens(() => {
      if (!deps) throw new Error('the runtime is still starting');
      return deps.tokens;
    }),
  );
  if (!enabled && !isLoopbackHost(host)) {
    throw new Error(`refusing to bind ${host} without REGISTRY_AUTH_FILE: open mode lets anyone write. Bind 127.0.0.1 or set an auth file.`);
  }
  const tableName = options.tableName ?? 'service-registry';
  // Parsed before anything starts: a value that is not a boolean fails with its name, not as loopback allowed.
  const allowLoopback = options.allowLoopback ?? flag(process.env, 'REGISTRY_ALLOW_LOOPBACK', true);
  let dynamo: DynamoDbLocal | undefined;
  const bus = new LocalEventBus();
  let poller: { stop(): Promise<void> } | undefined;
  let historyPoller: { stop(): Promise<void> } | undefined;
  let stopMetrics = () => {};
  try {
    const dataDir = options.dataDir === undefined ? undefined : resolve(options.dataDir);
    dynamo = options.dynamoEndpoint ? undefined : await startDynamoDbLocal(dataDir ? { dataDir } : {});
    const dynamoEndpoint = options.dynamoEndpoint ?? dynamo!.endpoint;
    const busEndpoint = await bus.start();
    // The functions' configuration, read by the same loaders as in Lambda, from this process's environment with the
    // runtime's own settings on top (an object of its own: process.env is left alone).
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TABLE_NAME: tableName,
      EVENT_BUS_NAME: process.env.EVENT_BUS_NAME ?? 'service-registry',
      REGISTRY_ALLOW_LOOPBACK: String(allowLoopback),
      REGISTRY_PROBE_INTERVAL_SECONDS: String(
        options.probeIntervalSeconds ?? process.env.REGISTRY_PROBE_INTERVAL_SECONDS ?? DEFAULTS.prober.roundIntervalSeconds,
      ),
      REGISTRY_PROBER_HOLDER: proberHolder(dataDir),
    };
    const config = loadConfig(env);
    const client = new DynamoDBClient(localClientConfig(dynamoEndpoint));
    const created = await bootstrapTable(client, tableName);

    // `GET /metrics` (local/metrics.ts): every function reports through the runtime's prom-client adapter.
    const metrics = createLocalMetrics({ tableName, dynamoEndpoint, probeShards: config.probeShards });
    stopMetrics = () => metrics.stop();
    // Logs at WARN unless POWERTOOLS_LOG_LEVEL says otherwise: the runtime prints its own access log.
    const logger = new Logger({ serviceName: env.POWERTOOLS_SERVICE_NAME || 'service-registry', logLevel: (env.POWERTOOLS_LOG_LEVEL || 'WARN') as 'WARN' });
    const telemetry = metrics.telemetry;
    const platform = createPlatform(config, { logger, telemetry, dynamodb: client });
    // Change events: the writing functions publish each change at once (the fast path, handed to the bus in-process:
    // local/bus-sink.ts), and the stream stand-in → the publisher function publishes it again (the backstop, through
    // the real EventBridge client and the bus's PutEvents listener) → SSE subscribers.
    const publishing = loadPublisherConfig(env);
    const events = new EventBridgeClient(localClientConfig(busEndpoint));
    const sink = new EventBridgeSink(events, publishing.busName, publishing.source);
    const fast = options.fastPublish ?? flag(env, 'REGISTRY_FAST_PUBLISH', true);
    const busSink = new LocalBusSink(bus, publishing.busName, publishing.source);
    const notifier = fast ? fastNotifier(options.fastPublishSink ? options.fastPublishSink(busSink) : busSink, platform) : undefined;
    deps = createDependencies(platform, notifier ? { notifier } : {});

    const publisher = publisherHandler({ logger, telemetry, sink, counters: new DynamoDbInstanceStore(platform.documentClient, tableName) }) as StreamHandler;
    poller = await startStreamPoller({
      endpoint: dynamoEndpoint,
      tableName,
      handler: options.onPublish ? timed(publisher, options.onPublish) : publisher,
      fromStart: created,
      // With a data dir the stream survives a restart, so the stand-in keeps its position next to it (as the event
      // source mapping keeps its own in AWS) and resumes where publishing stopped instead of at the stream's tip.
      ...(dataDir && { positionFile: join(dataDir, 'stream-positions.json'), failureFile: join(dataDir, 'stream-failures.jsonl') }),
      pollMs: options.streamPollMs ?? Number(process.env.REGISTRY_STREAM_POLL_MS ?? 50),
      ...(options.streamRetryBaseMs !== undefined && { retryBaseMs: options.streamRetryBaseMs }),
      onError: (e) => console.error(`stream poller: ${describe(e)}`),
      onDiscard: (info) =>
        console.error(
          `stream poller: gave up on ${info.records} record(s) after ${info.reason} (sequence ${info.firstSequence}…${info.lastSequence})${dataDir ? `; kept in ${join(dataDir, 'stream-failures.jsonl')}` : ''}`,
        ),
    });

    // Change history: the stream's second consumer, as in AWS (its own event source mapping there), so a history
    // failure never holds back publishing; its own position and failure files, since its position is its own.
    const historyWriter = historyHandler({
      store: new DynamoDbHistoryStore(platform.documentClient, tableName, historyRetentionDays(env)),
      logger,
    }) as StreamHandler;
    if (options.history ?? true)
      historyPoller = await startStreamPoller({
        endpoint: dynamoEndpoint,
        tableName,
        handler: options.historyHandler ? options.historyHandler(historyWriter) : historyWriter,
        fromStart: created,
        ...(dataDir && { positionFile: join(dataDir, 'history-stream-positions.json'), failureFile: join(dataDir, 'history-stream-failures.jsonl') }),
        pollMs: options.streamPollMs ?? Number(process.env.REGISTRY_STREAM_POLL_MS ?? 50),
        ...(options.streamRetryBaseMs !== undefined && { retryBaseMs: options.streamRetryBaseMs }),
        onError: (e) => console.error(`history stream poller: ${describe(e)}`),
        onDiscard: (info) =>
          console.error(
            `history stream poller: gave up on ${info.records} record(s) after ${info.reason} (sequence ${info.firstSequence}…${info.lastSequence})`,
          ),
      });

    const handlers = httpFunctions(routes, deps);
    const consoleSite = createConsoleSite();
    const server = createApiGateway({
      routes,
      handlerFor: (route) => handlers.get(route.handler)!,
      authorize,
      local: async (req, res, url) => {
        // The web console's page and assets (`/`, `/console/…`): static, no data, no token needed.
        if (consoleSite.serve(req, res, url)) return true;
        if (url.pathname === '/metrics') return metrics.serve(req, res, await authorize(req.headers.authorization));
        if (url.pathname !== '/v1/events') return false;
        if (req.method !== 'GET') throw new RouteNotFoundError(`no route for ${req.method} /v1/events`);
        const caller = await authorize(req.headers.authorization);
        // The feed is scoped like discovery: asking for a service the caller may not read is a 403 naming it.
        const refused = url.searchParams.getAll('service').filter((service) => !mayRead(caller, service));
        if (refused.length > 0)
          throw new ForbiddenError(
            `principal '${caller.principal}' may not read service${refused.length > 1 ? 's' : ''} ${refused.map((s) => `'${s}'`).join(', ')}`,
          );
        metrics.meterDelivery(res);
        bus.subscribe(req, res, url, (service) => mayRead(caller, service));
        return true;
      },
      onRequest: (line) => {
        metrics.onRequest(line);
        options.onRequest?.(line);
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 4000, host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    // DNS (local/dns-server.ts) on the API's host, reading through the same registry as the HTTP functions.
    const dns =
      options.dnsPort === undefined || options.dnsPort === 'off'
        ? undefined
        : await startRegistryDns({
            host,
            port: options.dnsPort,
            domain: options.dnsDomain ?? DEFAULT_DNS_DOMAIN,
            ttlSeconds: options.dnsTtlSeconds ?? DEFAULT_DNS_TTL_SECONDS,
            authEnabled: enabled,
            registry: deps.registry,
            ...(options.dnsRead && { read: options.dnsRead }),
          }).catch((error: unknown) => {
            server.close();
            throw error;
          });
    // The prober as in AWS: a schedule every minute whose invocation queues the minute's later rounds as delayed
    // messages, and the queue's event source invoking the same handler for each of them (local/delay-queue.ts).
    const schedules: Schedule[] = [];
    let rounds: LocalDelayQueue | undefined;
    if (options.prober ?? true) {
      const prober = loadProberConfig(env);
      const timeoutMs = proberTimeoutSeconds(prober.roundIntervalSeconds) * 1000;
      const onError = (e: unknown) => console.error(`prober invocation failed: ${describe(e)}`);
      rounds = new LocalDelayQueue({
        timeoutMs,
        // SQS waits the visibility timeout (the function's timeout in AWS) before a failed round's message comes
        // back; locally a round interval, so a failure shows within the minute. The lock spaces rounds either way.
        visibilityTimeoutMs: prober.roundIntervalSeconds * 1000,
        onError,
        onDeadLetter: (body) => console.error(`prober round message dropped after repeated failures: ${body}`),
      });
      const handler = proberHandler({ ...platform, prober, rounds });
      const report = options.onProberInvocation;
      rounds.start(async (event, context) => {
        const started = performance.now();
        let failed = true;
        try {
          const result = await handler(event, context);
          failed = false;
          return result;
        } finally {
          report?.({ ms: performance.now() - started, trigger: 'queue', sqsRequests: failed ? 1 : 2 });
        }
      });
      const scheduled: ScheduledHandler = async (event, context) => {
        const started = performance.now();
        let sqsRequests = 0;
        try {
          const result = await handler(event, context);
          sqsRequests = result.enqueueRequests;
          return result;
        } finally {
          report?.({ ms: performance.now() - started, trigger: 'schedule', sqsRequests });
        }
      };
      schedules.push(startSchedule('Prober', scheduled, { timeoutMs, periodMs: SCHEDULE_PERIOD_MS, onError }));
    }
    const urlHost = host.includes(':') ? `[${host}]` : host;
    const running = { poller, historyPoller, dynamo };
    return {
      url: `http://${urlHost}:${port}`,
      dynamoEndpoint,
      tableName,
      bus,
      dynamodb: client,
      ...(dns && { dnsPort: dns.port }),
      stop: async () => {
        // Producers first, DynamoDB Local last, since everything before it still writes: the schedule (the prober
        // releases its lock and hands over its streaks), the stream pollers (publish, and write history, for what is
        // read and save their positions), the bus and the server, then DynamoDB Local.
        await Promise.all([...schedules.map((s) => s.stop()), rounds?.stop()]);
        await running.poller.stop();
        await running.historyPoller?.stop();
        stopMetrics();
        await bus.stop();
        server.closeAllConnections();
        await new Promise<void>((done) => server.close(() => done()));
        await dns?.stop();
        client.destroy();
        events.destroy();
        await running.dynamo?.stop();
      },
    };
  } catch (error) {
    await poller?.stop().catch(() => undefined);
    await historyPoller?.stop().catch(() => undefined);
    stopMetrics();
    await bus.stop();
    await dynamo?.stop();
    throw error;
  }
}

/** One line for an error: its name and message, without the stack (which says nothing to someone running the registry). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return `${error.name}: ${error.message}${typeof code === 'string' && !error.message.includes(code) ? ` (${code})` : ''}`;
}

function timed(handler: StreamHandler, report: NonNullable<LocalRuntimeOptions['onPublish']>): StreamHandler {
  return async (event, context) => {
    const started = performance.now();
    try {
      return await handler(event, context);
    } finally {
      report({ records: event.Records.length, ms: performance.now() - started });
    }
  };
}

/** One function per route-table `handler`, built once from the runtime's dependencies (as one Lambda function each in AWS). */
function httpFunctions(list: readonly RouteDefinition[], deps: Dependencies): Map<string, LambdaHandler> {
  const handlers = new Map<string, LambdaHandler>();
  for (const route of list) {
    if (handlers.has(route.handler)) continue;
    const factory = HTTP_FUNCTIONS[route.handler];
    if (!factory) throw new Error(`route ${route.id} names handler '${route.handler}', which lambdas/functions/index.ts does not list`);
    handlers.set(route.handler, factory(deps) as unknown as LambdaHandler);
  }
  return handlers;
}
