/**
 * Every metric the registry emits, declared once. The Powertools adapter (CloudWatch EMF, in AWS), the prom-client
 * adapter (`GET /metrics`, locally), the CloudWatch dashboard and the tests all read this table, so a metric cannot
 * be renamed in one place and not the others.
 *
 * Names: the key is the CloudWatch metric name (namespace {@link METRICS_NAMESPACE}); the Prometheus name is derived
 * from it by {@link prometheusName} (`EventsPublished` → `registry_events_published_total`, durations in seconds).
 * The values the code emits are in the declared `unit`; the Prometheus adapter converts milliseconds to seconds.
 *
 * Cost: each CloudWatch metric (name × combination of dimension values) is a custom metric, $0.30 a month for the
 * first 10,000 (https://aws.amazon.com/cloudwatch/pricing/). `dimensions` are therefore a bounded subset of `labels`:
 * the registered service is a Prometheus label only (free locally, unbounded in CloudWatch), never a dimension.
 * Powertools adds one default dimension, `service` = `service-registry`, to every metric; that is why no dimension
 * here may be called `service`.
 */

/** The namespace of the functions' metrics (Powertools `Metrics`, built in lambdas/wiring/observability.ts). */
export const METRICS_NAMESPACE = 'ServiceRegistry';

export type MetricType = 'counter' | 'gauge' | 'histogram';
export type MetricUnitName = 'Count' | 'Milliseconds';

export interface MetricDeclaration {
  readonly type: MetricType;
  readonly unit: MetricUnitName;
  /** What it means (the Prometheus HELP line and the README table). */
  readonly help: string;
  /** Prometheus labels, each with a bounded set of values. */
  readonly labels: readonly string[];
  /**
   * CloudWatch dimensions (a subset of `labels`; the rest are summed away), or `false` when the metric is not emitted
   * to CloudWatch because AWS measures it itself (API Gateway's request metrics).
   */
  readonly dimensions: readonly string[] | false;
  /**
   * Locally computed from the table at scrape time rather than from what the functions emit (gauges of the current
   * state: the prober emits them in AWS, where nothing scrapes).
   */
  readonly scraped?: boolean;
  /** Histogram buckets, in seconds. */
  readonly buckets?: readonly number[];
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const LAG_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/**
 * @example
 * METRICS.EventsPublished.type; // => 'counter'
 */
export const METRICS = {
  HttpRequests: {
    type: 'counter',
    unit: 'Count',
    help: 'HTTP requests answered, by route id (never the raw path) and status code',
    labels: ['route', 'status'],
    dimensions: false,
  },
  HttpRequestDuration: {
    type: 'histogram',
    unit: 'Milliseconds',
    help: 'Time from request to answer at the API Gateway stand-in, by route id and status code',
    labels: ['route', 'status'],
    dimensions: false,
    buckets: LATENCY_BUCKETS,
  },
  HttpErrors: {
    type: 'counter',
    unit: 'Count',
    help: 'Errors the HTTP functions answered, by route id and kind (invalid, unauthenticated, forbidden, not-found, conflict; internal for a 500)',
    labels: ['route', 'kind'],
    // API Gateway counts 4xx and 5xx; what it cannot tell is which kind. Sent only when an error happens, so a
    // successful request (a heartbeat) costs no metric line.
    dimensions: ['kind'],
  },
  Instances: {
    type: 'gauge',
    unit: 'Count',
    help: 'Live instances (lease not expired, not marked for removal), by service, status and health',
    labels: ['service', 'status', 'health'],
    dimensions: ['status', 'health'],
    scraped: true,
  },
  ProtectionEngaged: {
    type: 'gauge',
    unit: 'Count',
    help: "The mass-failure guard of a service's shard: 1 engaged, 0 not, by kind (probe, lease)",
    labels: ['service', 'kind'],
    dimensions: ['kind'],
    scraped: true,
  },
  EventsPublished: {
    type: 'counter',
    unit: 'Count',
    help: 'Change events published to the bus',
    labels: [],
    dimensions: [],
  },
  PublishFailures: {
    type: 'counter',
    unit: 'Count',
    help: 'PutEvents entry errors, retried ones included',
    labels: [],
    dimensions: [],
  },
  FastPublishFailures: {
    type: 'counter',
    unit: 'Count',
    help: 'Change events the writing function could not publish itself (entry error, failure or timeout); the stream publisher still delivers them',
    labels: [],
    dimensions: [],
  },
  ResyncEventsPublished: {
    type: 'counter',
    unit: 'Count',
    help: '`Registry Resync Required` events published because a batch stopped',
    labels: [],
    dimensions: [],
  },
  PropagationLag: {
    type: 'histogram',
    unit: 'Milliseconds',
    help: 'Time from an instance write to its change event: published to the bus, delivered to SSE subscribers (local)',
    labels: ['stage'],
    // No dimension: AWS has only the `published` stage, and undimensioned values share the invocation's one EMF
    // document (one log line per batch, not one per event).
    dimensions: [],
    buckets: LAG_BUCKETS,
  },
  ProbeOutcomes: {
    type: 'counter',
    unit: 'Count',
    help: 'Probe targets per round by outcome: passed, failed, deferred (left for a later round by the per-endpoint cap)',
    labels: ['outcome'],
    dimensions: ['outcome'],
  },
  ProbeRoundDuration: {
    type: 'histogram',
    unit: 'Milliseconds',
    help: 'Duration of a prober round (probes, sweep and writes)',
    labels: [],
    dimensions: [],
    buckets: LAG_BUCKETS,
  },
  HealthTransitions: {
    type: 'counter',
    unit: 'Count',
    help: 'Health changes written by the prober',
    labels: [],
    dimensions: [],
  },
  InstancesExpired: {
    type: 'counter',
    unit: 'Count',
    help: 'Instances removed because their lease expired',
    labels: [],
    dimensions: [],
  },
  InstancesRemovedCritical: {
    type: 'counter',
    unit: 'Count',
    help: 'Instances removed after staying critical too long',
    labels: [],
    dimensions: [],
  },
  ProberWrites: {
    type: 'counter',
    unit: 'Count',
    help: 'Table writes made by the prober',
    labels: [],
    dimensions: [],
  },
  DnsRecordSetsChanged: {
    type: 'counter',
    unit: 'Count',
    help: 'Record sets the DNS sync upserted or deleted in the Route 53 zone (AWS only: locally DNS is answered from the table)',
    labels: [],
    dimensions: [],
  },
  DnsChangeRequests: {
    type: 'counter',
    unit: 'Count',
    help: 'ChangeResourceRecordSets requests the DNS sync sent (AWS only)',
    labels: [],
    dimensions: [],
  },
} as const satisfies Record<string, MetricDeclaration>;

export type MetricName = keyof typeof METRICS;

/** Label values by label name; a metric's undeclared labels are an error in both adapters. */
export type MetricLabels = Readonly<Record<string, string>>;

/** Every metric name, in declaration order. */
export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];

/**
 * The Prometheus name of a metric: `registry_` + snake case, `_seconds` for durations, `_total` for counters.
 *
 * @example
 * prometheusName('ProbeRoundDuration'); // => 'registry_probe_round_duration_seconds'
 * prometheusName('HttpRequests'); // => 'registry_http_requests_total'
 */
export function prometheusName(name: MetricName): string {
  const declaration: MetricDeclaration = METRICS[name];
  const snake = name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  const unit = declaration.unit === 'Milliseconds' ? '_seconds' : '';
  return `registry_${snake}${unit}${declaration.type === 'counter' ? '_total' : ''}`;
}

/** The metrics CloudWatch receives (those with `dimensions`), for the dashboard and the cost table. */
export function cloudWatchMetrics(): MetricName[] {
  return METRIC_NAMES.filter((name) => (METRICS[name] as MetricDeclaration).dimensions !== false);
}
