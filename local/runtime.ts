/**
 * The whole registry on one machine: DynamoDB Local, the table as CDK defines it, and the local API Gateway
 * serving the unchanged handlers through the real AWS SDK clients.
 */
import './env-defaults.js';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import ipaddr from 'ipaddr.js';
import { routes, type RouteDefinition } from '../lambdas/routes.js';
import { createApiGateway, type LambdaHandler } from './api-gateway.js';
import { loadAuthorizer } from './auth.js';
import { bootstrapTable } from './bootstrap-table.js';
import { LOCAL_AWS_ENV, startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local.js';
import { startSchedule, type Schedule, type ScheduledHandler } from './scheduler.js';
import { LocalEventBus } from './event-bus.js';
import { startStreamPoller, type StreamHandler } from './stream-poller.js';
import { RouteNotFoundError } from '../lambdas/domain/errors.js';

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
  /** Called after each publisher invocation (the cost benchmark counts them). */
  readonly onPublish?: (info: { records: number; ms: number }) => void;
}

export interface LocalRuntime {
  readonly url: string;
  readonly dynamoEndpoint: string;
  readonly tableName: string;
  /** The event bus stand-in (tests inject PutEvents faults through it). */
  readonly bus: LocalEventBus;
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
  const { authorize, enabled } = loadAuthorizer(options.authFile);
  if (!enabled && !isLoopbackHost(host)) {
    throw new Error(`refusing to bind ${host} without REGISTRY_AUTH_FILE: open mode lets anyone write. Bind 127.0.0.1 or set an auth file.`);
  }
  const tableName = options.tableName ?? 'service-registry';
  let dynamo: DynamoDbLocal | undefined;
  const bus = new LocalEventBus();
  let poller: { stop(): Promise<void> } | undefined;
  try {
    dynamo = options.dynamoEndpoint ? undefined : await startDynamoDbLocal(options.dataDir ? { dataDir: options.dataDir } : {});
    const dynamoEndpoint = options.dynamoEndpoint ?? dynamo!.endpoint;
    const busEndpoint = await bus.start();
    // The handlers read their configuration from the environment, as in Lambda; set it before loading them.
    Object.assign(process.env, LOCAL_AWS_ENV, {
      TABLE_NAME: tableName,
      AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
      AWS_ENDPOINT_URL_DYNAMODB_STREAMS: dynamoEndpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: busEndpoint,
      EVENT_BUS_NAME: process.env.EVENT_BUS_NAME ?? 'service-registry',
      REGISTRY_ALLOW_LOOPBACK: String(options.allowLoopback ?? process.env.REGISTRY_ALLOW_LOOPBACK !== 'false'),
      REGISTRY_PROBE_INTERVAL_SECONDS: String(options.probeIntervalSeconds ?? process.env.REGISTRY_PROBE_INTERVAL_SECONDS ?? 10),
    });
    const client = new DynamoDBClient({});
    const created = await bootstrapTable(client, tableName);
    client.destroy();

    // Change events: stream stand-in → the publisher handler → the local bus → SSE subscribers.
    const { handler: publisher } = (await import('../lambdas/handlers/publisher.js')) as { handler: StreamHandler };
    poller = await startStreamPoller({
      tableName,
      handler: options.onPublish ? timed(publisher, options.onPublish) : publisher,
      fromStart: created,
      pollMs: options.streamPollMs ?? Number(process.env.REGISTRY_STREAM_POLL_MS ?? 50),
      onError: (e) => console.error('stream poller:', e),
    });

    const handlers = await loadHandlers(routes);
    const server = createApiGateway({
      routes,
      handlerFor: (route) => handlers.get(route.handler)!,
      authorize,
      local: (req, res, url) => {
        if (url.pathname !== '/v1/events') return false;
        if (req.method !== 'GET') throw new RouteNotFoundError(`no route for ${req.method} /v1/events`);
        authorize(req.headers.authorization);
        bus.subscribe(req, res, url);
        return true;
      },
      ...(options.onRequest && { onRequest: options.onRequest }),
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 4000, host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const schedules: Schedule[] = [];
    if (options.prober ?? true) {
      const { handler } = (await import('../lambdas/handlers/prober.js')) as { handler: ScheduledHandler };
      schedules.push(startSchedule('Prober', handler, { timeoutMs: 60_000, onError: (e) => console.error('prober invocation failed:', e) }));
    }
    const urlHost = host.includes(':') ? `[${host}]` : host;
    const running = { poller, dynamo };
    return {
      url: `http://${urlHost}:${port}`,
      dynamoEndpoint,
      tableName,
      bus,
      stop: async () => {
        // Producers first: the schedule, then the stream poller (which publishes to the bus), then the bus.
        await Promise.all(schedules.map((s) => s.stop()));
        await running.poller.stop();
        await bus.stop();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await running.dynamo?.stop();
      },
    };
  } catch (error) {
    await poller?.stop().catch(() => undefined);
    await bus.stop();
    await dynamo?.stop();
    throw error;
  }
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

async function loadHandlers(list: readonly RouteDefinition[]): Promise<Map<string, LambdaHandler>> {
  const handlers = new Map<string, LambdaHandler>();
  for (const route of list) {
    if (handlers.has(route.handler)) continue;
    const module = (await import(`../lambdas/handlers/${route.handler}.js`)) as { handler: LambdaHandler };
    handlers.set(route.handler, module.handler);
  }
  return handlers;
}
