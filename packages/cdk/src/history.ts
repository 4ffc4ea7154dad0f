/**
 * The change history's AWS pieces (lambdas/domain/history.ts): the stream's second consumer, with an event source
 * mapping of its own so a history failure never holds back publishing, and the EventBridge archive of the bus, so
 * published events can be replayed into a new subscriber, and the stream consumers' failure destination.
 * `ServiceRegistry` calls these; the function itself is a `RegistryFunction`, like every registry function.
 */
import { Duration } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Archive, type IEventBus } from 'aws-cdk-lib/aws-events';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, StartingPosition, type IEventSourceDlq, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, S3OnFailureDestination } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { streamFilterPatterns } from '../../../lambdas/stream-filter.js';
import { HISTORY_PREFIX, HISTORY_RETENTION_DAYS } from '../../../lambdas/table.js';
import type { BindTableOptions } from './registry-function.js';
import { tableActionsOf } from './table-access.js';

/** How long the bus's archive keeps events by default. */
export const DEFAULT_ARCHIVE_RETENTION_DAYS = 30;

/** Options of the EventBridge archive of the registry's bus (`ServiceRegistryProps.archive`). */
export interface EventArchiveOptions {
  /**
   * How long archived events are kept (whole days).
   * @default Duration.days(30)
   */
  readonly retention?: Duration;
}

/**
 * The history writer's environment: `REGISTRY_HISTORY_RETENTION_DAYS` from `retention` (whole days, 1-3650),
 * failing at synthesis with the prop's name rather than in the function.
 *
 * @example
 * historyEnvironment(Duration.days(7)); // => { REGISTRY_HISTORY_RETENTION_DAYS: '7' }
 */
export function historyEnvironment(retention: Duration | undefined): Record<string, string> {
  const days = retention === undefined ? HISTORY_RETENTION_DAYS.default : retention.toDays({ integral: false });
  if (!Number.isInteger(days) || days < 1 || days > HISTORY_RETENTION_DAYS.max) {
    throw new Error(`historyRetention must be a whole number of days from 1 to ${HISTORY_RETENTION_DAYS.max}, got ${retention?.toHumanString()}`);
  }
  return { REGISTRY_HISTORY_RETENTION_DAYS: String(days) };
}

/**
 * The history writer's table binding (`RegistryFunction.bindTable`): its table actions (table-access.ts) on items
 * whose partition key starts with `HISTORY#` only, so even a bug in it cannot touch an instance.
 *
 * @example
 * writer.bindTable(table, ...historyTableBinding());
 */
export function historyTableBinding(): [actions: string[], options: BindTableOptions] {
  return [tableActionsOf('history'), { leadingKeyPrefix: HISTORY_PREFIX }];
}

/**
 * The settings every consumer of the table's stream uses (the publisher and the history writer): the registry's
 * filter criteria (history keeps exactly what is published), batches of 100 with no window, one batch per shard at a
 * time (each instance's records in order), batch item failures, bisect on error, 10 retries, records up to 6 h old,
 * then `onFailure`. One declaration, so the two mappings cannot drift apart.
 */
export function registryStreamSource(table: ITableV2, onFailure: IEventSourceDlq): DynamoEventSource {
  return new DynamoEventSource(table, {
    startingPosition: StartingPosition.LATEST,
    batchSize: 100,
    maxBatchingWindow: Duration.millis(0),
    parallelizationFactor: 1,
    reportBatchItemFailures: true,
    bisectBatchOnError: true,
    retryAttempts: 10,
    maxRecordAge: Duration.hours(6),
    onFailure,
    filters: streamFilterPatterns.map((pattern) => FilterCriteria.filter(pattern as Record<string, unknown>)),
  });
}

/**
 * Maps the table's stream to the history writer ({@link registryStreamSource}). Its own mapping: its failures and
 * retries never delay the publisher's.
 */
export function consumeStreamForHistory(writer: IFunction, table: ITableV2, onFailure: IEventSourceDlq): void {
  writer.addEventSource(registryStreamSource(table, onFailure));
}

/**
 * The archive of the registry's events on `bus` (only those of `source`), or none when `options` is `false`.
 * Replay into a new subscriber with `aws events start-replay` (README, "Change history").
 */
export function eventArchive(scope: Construct, bus: IEventBus, source: string, options: EventArchiveOptions | false | undefined): Archive | undefined {
  if (options === false) return undefined;
  const retention = options?.retention ?? Duration.days(DEFAULT_ARCHIVE_RETENTION_DAYS);
  const days = retention.toDays({ integral: false });
  if (!Number.isInteger(days) || days < 1) throw new Error(`archive.retention must be a whole number of days (at least 1), got ${retention.toHumanString()}`);
  return new Archive(scope, 'EventArchive', {
    sourceEventBus: bus,
    description: 'Registry change events, for replay into new subscribers',
    eventPattern: { source: [source] },
    retention,
  });
}

/**
 * The S3 on-failure destination with exactly the permissions Lambda's documentation lists for an S3 destination of
 * a stream event source: `s3:PutObject` (on the bucket's objects) and `s3:ListBucket` (on the bucket)
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html, "Your execution role must have
 * permissions for the destination"; the same list on kafka-on-failure.html). CDK's own `S3OnFailureDestination`
 * grants read and delete of every object too (`grantReadWrite`). The bucket is S3-managed encrypted (SSE-S3), so
 * no `kms:GenerateDataKey` is needed.
 *
 * @example
 * publisher.addEventSource(registryStreamSource(table, new WriteOnlyS3OnFailureDestination(bucket)));
 */
export class WriteOnlyS3OnFailureDestination extends S3OnFailureDestination {
  constructor(private readonly destination: IBucket) {
    super(destination);
  }

  override bind(_target: unknown, targetHandler: IFunction) {
    Grant.addToPrincipal({ grantee: targetHandler, actions: ['s3:PutObject'], resourceArns: [this.destination.arnForObjects('*')] });
    Grant.addToPrincipal({ grantee: targetHandler, actions: ['s3:ListBucket'], resourceArns: [this.destination.bucketArn] });
    return { destination: this.destination.bucketArn };
  }
}
