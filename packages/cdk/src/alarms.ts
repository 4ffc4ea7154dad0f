/**
 * The registry's alarms: publish failures, publisher errors, iterator age, API 5xx and 429s, prober errors and
 * duration.
 */
import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, Metric, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';

import { METRICS_NAMESPACE } from '../../../lambdas/metrics.js';

/**
 * The namespace of the functions' own metrics (declared once in lambdas/metrics.ts): the one Powertools `Metrics`
 * instance in lambdas/shared/powertools.ts publishes there (EMF), with the default dimension `service`.
 */
export { METRICS_NAMESPACE };
/** `POWERTOOLS_SERVICE_NAME` of every function: the value of the `service` dimension. */
export const SERVICE_NAME = 'service-registry';
/** Counted from the API access log by a metric filter (HTTP APIs publish no 429 metric). */
export const THROTTLED_REQUESTS_METRIC = 'ThrottledRequests';

export interface AlarmedParts {
  readonly publisher: IFunction;
  readonly api: HttpApi;
  readonly prober: IFunction;
}

/**
 * @example
 * registryAlarms(this, { publisher, api, prober }, topic);
 */
export function registryAlarms(scope: Construct, parts: AlarmedParts, topic: ITopic | undefined): Alarm[] {
  const alarm = (id: string, metric: IMetric, threshold: number, description: string) => {
    const created = new Alarm(scope, id, {
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    if (topic) created.addAlarmAction(new SnsAction(topic));
    return created;
  };
  const fiveMinutes = { period: Duration.minutes(5) };
  return [
    // The publisher reports failed entries as batch item failures instead of throwing (so the mapping retries
    // exactly those records), which Lambda's Errors metric never counts: alarm on the publisher's own count.
    alarm(
      'PublishFailuresAlarm',
      new Metric({ namespace: METRICS_NAMESPACE, metricName: 'PublishFailures', dimensionsMap: { service: SERVICE_NAME }, statistic: 'Sum', ...fiveMinutes }),
      1,
      'Change events failed to publish and are being retried; after 10 retries or 6 h their batch goes to the failure bucket',
    ),
    // Still useful: a crash (bad configuration, a bug) is an error, not a batch item failure.
    alarm('PublisherErrorsAlarm', parts.publisher.metricErrors(fiveMinutes), 1, 'The change-event publisher crashed'),
    alarm(
      'PublisherIteratorAgeAlarm',
      new Metric({
        namespace: 'AWS/Lambda',
        metricName: 'IteratorAge',
        dimensionsMap: { FunctionName: parts.publisher.functionName },
        statistic: 'Maximum',
        ...fiveMinutes,
      }),
      60_000,
      'Change events lag the table by a minute or more (records are given up on at 6 h; the stream keeps them 24 h)',
    ),
    alarm('Api5xxAlarm', parts.api.metricServerError(fiveMinutes), 5, 'The registry API answered 5xx'),
    alarm(
      'ApiThrottledAlarm',
      new Metric({ namespace: METRICS_NAMESPACE, metricName: THROTTLED_REQUESTS_METRIC, statistic: 'Sum', period: Duration.minutes(1) }),
      1,
      'The registry API answered 429: heartbeats beyond the stage throttle let leases lapse (raise expectedInstances)',
    ),
    alarm('ProberErrorsAlarm', parts.prober.metricErrors(fiveMinutes), 1, 'The prober failed'),
    alarm(
      'ProberDurationAlarm',
      parts.prober.metricDuration({ ...fiveMinutes, statistic: 'Maximum' }),
      89_000,
      'The prober ran into its timeout (90 s at the default round interval)',
    ),
  ];
}
