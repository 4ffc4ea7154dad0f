/** The registry's alarms: publisher errors, iterator age, dead letters, API 5xx, prober errors and duration. */
import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, Metric, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

export interface AlarmedParts {
  readonly publisher: IFunction;
  readonly deadLetterQueue: IQueue;
  readonly api: HttpApi;
  readonly prober: IFunction;
}

/**
 * @example
 * registryAlarms(this, { publisher, deadLetterQueue, api, prober }, topic);
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
    alarm('PublisherErrorsAlarm', parts.publisher.metricErrors(fiveMinutes), 1, 'The change-event publisher failed'),
    alarm(
      'PublisherIteratorAgeAlarm',
      new Metric({ namespace: 'AWS/Lambda', metricName: 'IteratorAge', dimensionsMap: { FunctionName: parts.publisher.functionName }, statistic: 'Maximum', ...fiveMinutes }),
      60_000,
      'Change events lag the table by a minute or more',
    ),
    alarm('PublisherDeadLetterAlarm', parts.deadLetterQueue.metricApproximateNumberOfMessagesVisible(fiveMinutes), 1, 'Stream batches were given up on'),
    alarm('Api5xxAlarm', parts.api.metricServerError(fiveMinutes), 5, 'The registry API answered 5xx'),
    alarm('ProberErrorsAlarm', parts.prober.metricErrors(fiveMinutes), 1, 'The prober failed'),
    alarm('ProberDurationAlarm', parts.prober.metricDuration({ ...fiveMinutes, statistic: 'Maximum' }), 74_000, 'The prober ran into its timeout'),
  ];
}
