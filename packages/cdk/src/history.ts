/**
 * The change history's AWS pieces (lambdas/domain/history.ts): the stream's second consumer, with an event source
 * mapping of its own so a history failure never holds back publishing, and the EventBridge archive of the bus, so
 * published events can be replayed into a new subscriber. `ServiceRegistry` calls these; the function itself is
 * made by its shared `lambda()` helper, like every registry function.
 */
import { Duration } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Archive, type IEventBus } from 'aws-cdk-lib/aws-events';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, StartingPosition, type IEventSourceDlq, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Construct } from 'constructs';
import { streamFilterPatterns } from '../../../lambdas/stream-filter.js';
import { HISTORY_PREFIX, HISTORY_RETENTION_DAYS } from '../../../lambdas/table.js';
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
 * Lets the history writer put history items and nothing else: its table actions (table-access.ts) on items whose
 * partition key starts with `HISTORY#` (`dynamodb:LeadingKeys`,
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html), so even a bug in
 * it cannot touch an instance.
 */
export function grantHistoryWrites(writer: IGrantable, table: ITableV2): Grant {
  return Grant.addToPrincipal({
    grantee: writer,
    actions: tableActionsOf('history'),
    resourceArns: [table.tableArn],
    conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${HISTORY_PREFIX}*`] } },
  });
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
