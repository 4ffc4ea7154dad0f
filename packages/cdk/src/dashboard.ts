/**
 * The registry's CloudWatch dashboard: the functions' own metrics (declared once in lambdas/metrics.ts, emitted as
 * EMF through Powertools), API Gateway's requests, 4xx, 5xx and latency, the publisher's stream iterator age, Lambda
 * throttles, the prober's duration and errors, and the depth of every dead-letter queue the construct creates
 * (subscribers' and DNS sync's; the publisher's on-failure destination is an S3 bucket, not a queue).
 *
 * Cost: $3 a month per dashboard beyond the account's first three (https://aws.amazon.com/cloudwatch/pricing/);
 * reading the metrics it shows costs nothing more.
 */
import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Dashboard, GraphWidget, MathExpression, Metric, TextWidget, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { healthState, instanceStatus } from '@service-registry/contracts';
import { METRICS_NAMESPACE, type MetricName } from '../../../lambdas/metrics.js';
import { SERVICE_NAME, THROTTLED_REQUESTS_METRIC } from './alarms.js';
import { ERROR_KINDS } from '../../../lambdas/domain/errors.js';

/** What the dashboard graphs (the parts of {@link ServiceRegistry}). */
export interface RegistryDashboardProps {
  /** The registry's HTTP API: requests, 4xx, 5xx, latency. */
  readonly api: HttpApi;
  /** The change-event publisher: its stream iterator age. */
  readonly publisher: IFunction;
  /** The prober: its invocations' duration and errors. */
  readonly prober: IFunction;
  /** Every function, for the throttles graph. */
  readonly functions: IFunction[];
  /** The prober's shard count: each shard reports its own instance totals. @default 1 */
  readonly proberShards?: number;
  /** @default - CloudWatch's default name (the construct path) */
  readonly dashboardName?: string;
}

/** The values of the dimensioned metrics' dimensions, as the prober emits them (lambdas/domain/prober-loop.ts). */
const OUTCOMES = ['passed', 'failed', 'deferred'] as const;
const METRIC_KINDS = ['probe', 'lease'] as const;
/** The `kind` dimension of `HttpErrors`: every kind a registry error declares, and `internal` for a 500. */
const HTTP_ERROR_KINDS = [...ERROR_KINDS, 'internal'] as const;

const PERIOD = Duration.minutes(1);
const WIDTH = 8;

/**
 * A metric of lambdas/metrics.ts, with the `service` dimension Powertools adds and the declared dimensions given.
 *
 * @example
 * registryMetric('ProbeOutcomes', 'Sum', { outcome: 'failed' });
 */
function registryMetric(name: MetricName, statistic: string, dimensions: Record<string, string> = {}, label?: string): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { service: SERVICE_NAME, ...dimensions },
    statistic,
    period: PERIOD,
    ...(label && { label }),
  });
}

/**
 * @example
 * const dashboard = new RegistryDashboard(this, 'Dashboard', { api, publisher, prober, functions });
 * dashboard.addDeadLetterQueue('Gateway', queue);
 */
export class RegistryDashboard extends Construct {
  /** The CloudWatch dashboard. */
  public readonly dashboard: Dashboard;
  private deadLetters?: GraphWidget;

  constructor(scope: Construct, id: string, props: RegistryDashboardProps) {
    super(scope, id);
    const { api, publisher, prober } = props;
    this.dashboard = new Dashboard(this, 'Dashboard', {
      ...(props.dashboardName && { dashboardName: props.dashboardName }),
      defaultInterval: Duration.hours(3),
    });
    const graph = (title: string, left: IMetric[], right: IMetric[] = []) => new GraphWidget({ title, left, right, width: WIDTH, height: 6 });
    const sum = (name: MetricName, dimensions?: Record<string, string>, label?: string) => registryMetric(name, 'Sum', dimensions, label);
    const each = <T>(values: readonly T[], metric: (value: T) => IMetric) => values.map(metric);
    const stateDims = instanceStatus.options.flatMap((status) => healthState.options.map((health) => ({ status, health })));

    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `**Service registry** — functions' metrics in namespace \`${METRICS_NAMESPACE}\` (declared in lambdas/metrics.ts), API Gateway, Lambda, SQS.`,
        width: 3 * WIDTH,
        height: 1,
      }),
    );
    this.dashboard.addWidgets(
      graph(
        'API requests, 4xx, 5xx',
        [api.metricCount({ period: PERIOD, label: 'requests' })],
        [api.metricClientError({ period: PERIOD, label: '4xx' }), api.metricServerError({ period: PERIOD, label: '5xx' })],
      ),
      graph(
        'API errors by kind (from the functions)',
        each(HTTP_ERROR_KINDS, (kind) => sum('HttpErrors', { kind }, kind)),
      ),
      graph('API latency (ms)', [
        api.metricLatency({ period: PERIOD, statistic: 'p50', label: 'p50' }),
        api.metricLatency({ period: PERIOD, statistic: 'p99', label: 'p99' }),
      ]),
      graph('Throttles', [
        new Metric({ namespace: METRICS_NAMESPACE, metricName: THROTTLED_REQUESTS_METRIC, statistic: 'Sum', period: PERIOD, label: 'API 429s' }),
        new MathExpression({
          expression: props.functions.map((_, i) => `t${i}`).join(' + ') || '0',
          usingMetrics: Object.fromEntries(props.functions.map((fn, i) => [`t${i}`, fn.metricThrottles({ period: PERIOD })])),
          period: PERIOD,
          label: 'Lambda throttles (all functions)',
        }),
      ]),
    );
    this.dashboard.addWidgets(
      graph(
        'Instances by status/health',
        // Each prober shard reports its own totals every round: the mean value per report times the shard count is
        // the fleet's (exact while the shards run rounds at the same pace).
        stateDims.map(
          (d, i) =>
            new MathExpression({
              // Ids are per graph: one pair per line.
              expression: `${props.proberShards ?? 1} * s${i} / n${i}`,
              usingMetrics: { [`s${i}`]: registryMetric('Instances', 'Sum', d), [`n${i}`]: registryMetric('Instances', 'SampleCount', d) },
              period: PERIOD,
              label: `${d.status} ${d.health}`,
            }),
        ),
      ),
      graph(
        'Mass-failure guard engaged (1 = engaged)',
        each(METRIC_KINDS, (kind) => registryMetric('ProtectionEngaged', 'Maximum', { kind }, kind)),
      ),
      graph(
        'Change events',
        [sum('EventsPublished', {}, 'published'), sum('ResyncEventsPublished', {}, 'resync')],
        [sum('PublishFailures', {}, 'failed entries'), sum('FastPublishFailures', {}, 'fast path failures (the stream delivers)')],
      ),
    );
    this.dashboard.addWidgets(
      graph('Propagation lag, write → published (ms)', [
        registryMetric('PropagationLag', 'p50', {}, 'p50'),
        registryMetric('PropagationLag', 'p99', {}, 'p99'),
      ]),
      graph('Publisher stream iterator age (ms)', [
        new Metric({
          namespace: 'AWS/Lambda',
          metricName: 'IteratorAge',
          dimensionsMap: { FunctionName: publisher.functionName },
          statistic: 'Maximum',
          period: PERIOD,
        }),
      ]),
      graph(
        'Probe outcomes',
        each(OUTCOMES, (outcome) => sum('ProbeOutcomes', { outcome }, outcome)),
      ),
    );
    this.dashboard.addWidgets(
      graph('Prober round duration (ms)', [registryMetric('ProbeRoundDuration', 'p50', {}, 'p50'), registryMetric('ProbeRoundDuration', 'Maximum', {}, 'max')]),
      graph(
        'Prober invocations: duration (ms), errors',
        [prober.metricDuration({ period: PERIOD, statistic: 'Maximum', label: 'duration max' })],
        [prober.metricErrors({ period: PERIOD, label: 'errors' })],
      ),
      graph('Prober changes', [
        sum('HealthTransitions', {}, 'health transitions'),
        sum('InstancesExpired', {}, 'expired'),
        sum('InstancesRemovedCritical', {}, 'removed critical'),
        sum('ProberWrites', {}, 'writes'),
      ]),
      // Empty unless the registry has `dns`.
      graph('DNS sync (with `dns`)', [sum('DnsRecordSetsChanged', {}, 'record sets changed'), sum('DnsChangeRequests', {}, 'change requests')]),
    );
  }

  /** Adds a dead-letter queue's depth (messages visible) to the DLQ graph, creating the graph with the first one. */
  public addDeadLetterQueue(label: string, queue: IQueue): void {
    const metric = queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum', label });
    if (this.deadLetters) {
      this.deadLetters.addLeftMetric(metric);
      return;
    }
    this.deadLetters = new GraphWidget({ title: 'Dead-letter queue depth', left: [metric], width: WIDTH, height: 6 });
    this.dashboard.addWidgets(this.deadLetters);
  }
}
