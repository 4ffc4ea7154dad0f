/**
 * The local runtime's `GET /metrics` (Prometheus text format, prom-client): what the handlers report through the
 * telemetry port (the runtime hands every function this prom-client adapter as its `telemetry`), the HTTP
 * requests the API Gateway stand-in answers (by route id, never the raw path), the propagation lag to SSE
 * subscribers, gauges of the current state read from the table when scraped, and prom-client's process metrics.
 *
 * Scrape cost: the `registry_instances` and `registry_protection_engaged` gauges read the service summaries, every
 * instance item and one guard item per service — the reads of one prober round, O(instances): 2,000 instances in
 * 20 services took 0.6–0.9 s a scrape on DynamoDB Local (measured on the 2-core CI machine), so past ~10,000
 * instances scrape every 30 s or more. The two gauges of one scrape share one read. Label cardinality is bounded by
 * the table: services × 2 statuses × 3 health states, and services × 2 guard kinds.
 *
 * Each runtime builds its functions over its own adapter (`telemetry`), so two runtimes in one process count apart.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { DynamoDbProberStore } from '../lambdas/adapters/dynamodb-prober-store.js';
import { PrometheusTelemetry } from '../lambdas/adapters/prometheus-telemetry.js';
import { mayRead, type Caller } from '../lambdas/domain/caller.js';
import { ForbiddenError } from '../lambdas/domain/errors.js';
import { RouteNotFoundError } from '../lambdas/http/errors.js';
import { localClientConfig } from './dynamodb-local.js';
import { isExpired } from '../lambdas/domain/instance.js';
import type { Telemetry } from '../lambdas/domain/telemetry.js';
import { METRICS, prometheusName } from '../lambdas/metrics.js';

export interface LocalMetricsOptions {
  readonly tableName: string;
  readonly dynamoEndpoint: string;
  /** The prober's shard count (`REGISTRY_PROBE_SHARDS`): a service's guard is its shard's. @default 1 */
  readonly probeShards?: number;
}

/** A request as the API Gateway stand-in reports it (`onRequest`). */
export interface RequestLine {
  readonly route?: string;
  readonly status: number;
  readonly ms: number;
}

/** Detail types whose `time` is the instance write's own time (a removal's is stamped when published). */
const WRITE_EVENTS = new Set(['Instance Registered', 'Instance Updated', 'Instance Health Changed']);

/** Page size of the scrape-time reads (instances per query). */
const PAGE = 1000;

/**
 * @example
 * const metrics = createLocalMetrics({ tableName, dynamoEndpoint });
 * const platform = createPlatform(config, { logger, telemetry: metrics.telemetry });
 * // in the local hook: if (url.pathname === '/metrics') return metrics.serve(req, res, await authorize(...));
 */
export function createLocalMetrics(options: LocalMetricsOptions) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const prometheus = new PrometheusTelemetry(registry);
  const client = new DynamoDBClient(localClientConfig(options.dynamoEndpoint));
  const store = new DynamoDbProberStore(DynamoDBDocumentClient.from(client), options.tableName, options.probeShards ?? 1);

  type Snapshot = { instances: Map<string, number>; guards: Array<{ service: string; kind: string; engaged: boolean }> };
  let reading: Promise<Snapshot> | undefined;
  /** One table read for both gauges (prom-client collects them one after another within a scrape). */
  const snapshot = (): Promise<Snapshot> => (reading ??= readState().finally(() => setImmediate(() => (reading = undefined))));
  const readState = async (): Promise<Snapshot> => {
    const instances = new Map<string, number>();
    const guards: Snapshot['guards'] = [];
    for (const summary of await store.listAllServices()) {
      let after: string | undefined;
      do {
        const page = await store.page(summary.service, after, PAGE);
        const nowMs = Date.now();
        for (const instance of page.items) {
          // Live as the prober counts them (its `byState`, the AWS figure): not marked for removal, lease not expired.
          if (instance.removal !== undefined || isExpired(instance, nowMs)) continue;
          const key = JSON.stringify([summary.service, instance.status, instance.health]);
          instances.set(key, (instances.get(key) ?? 0) + 1);
        }
        after = page.lastId;
      } while (after !== undefined);
      const guard = await store.readProtection(summary.service);
      guards.push({ service: summary.service, kind: 'probe', engaged: guard?.probeEngaged ?? false });
      guards.push({ service: summary.service, kind: 'lease', engaged: guard?.leaseEngaged ?? false });
    }
    return { instances, guards };
  };

  new Gauge({
    name: prometheusName('Instances'),
    help: METRICS.Instances.help,
    labelNames: [...METRICS.Instances.labels],
    registers: [registry],
    async collect() {
      this.reset();
      for (const [key, count] of (await snapshot()).instances) {
        const [service, status, health] = JSON.parse(key) as [string, string, string];
        this.set({ service, status, health }, count);
      }
    },
  });
  new Gauge({
    name: prometheusName('ProtectionEngaged'),
    help: METRICS.ProtectionEngaged.help,
    labelNames: [...METRICS.ProtectionEngaged.labels],
    registers: [registry],
    async collect() {
      this.reset();
      for (const { service, kind, engaged } of (await snapshot()).guards) this.set({ service, kind }, engaged ? 1 : 0);
    },
  });

  return {
    registry,
    /** The adapter to attach to the handlers' telemetry. */
    telemetry: prometheus as Telemetry,

    /** Counts and times one request answered by the API Gateway stand-in. */
    onRequest(line: RequestLine): void {
      // Unmatched paths share one label value: the raw path would let any client create series without bound.
      const labels = { route: line.route ?? 'unmatched', status: String(line.status) };
      prometheus.count('HttpRequests', labels);
      prometheus.observe('HttpRequestDuration', line.ms, labels);
    },

    /**
     * Measures propagation to an SSE subscriber: wraps the response's `write` so that each change event written to
     * it observes `PropagationLag{stage="delivered"}` (write time → written to the subscriber's socket).
     */
    meterDelivery(res: ServerResponse): void {
      const write = res.write.bind(res) as (chunk: unknown, ...rest: unknown[]) => boolean;
      res.write = ((chunk: unknown, ...rest: unknown[]) => {
        if (typeof chunk === 'string' && chunk.startsWith('id: ')) observeDelivery(chunk, prometheus);
        return write(chunk, ...rest);
      }) as ServerResponse['write'];
    },

    /**
     * Serves `GET /metrics`. It names every service, so with an auth file the caller must be an admin or read `*`
     * (403 otherwise; the authorizer already answered 401 for a missing or unknown token); open mode is loopback.
     */
    async serve(req: IncomingMessage, res: ServerResponse, caller: Caller): Promise<true> {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new RouteNotFoundError(`no route for ${req.method} /metrics`);
      if (!caller.admin && !mayRead(caller, '*'))
        throw new ForbiddenError(`principal '${caller.principal}' may not read metrics: they name every service (needs read '*' or admin)`);
      const body = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
      return true;
    },

    stop(): void {
      client.destroy();
    },
  };
}

/** The lag of one SSE message (`id: …\nevent: …\ndata: {…}\n\n`) whose event carries the write's own time. */
function observeDelivery(message: string, telemetry: Telemetry): void {
  const event = /\nevent: ([^\n]+)\ndata: ([^\n]+)/.exec(message);
  if (!event || !WRITE_EVENTS.has(event[1]!)) return;
  const time = (JSON.parse(event[2]!) as { detail?: { time?: string } }).detail?.time;
  const at = time === undefined ? Number.NaN : Date.parse(time);
  if (!Number.isNaN(at)) telemetry.observe('PropagationLag', Math.max(0, Date.now() - at), { stage: 'delivered' });
}
