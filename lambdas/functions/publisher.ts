/**
 * DynamoDB Streams → EventBridge. Records arrive already filtered (no heartbeat-only writes: see stream-filter.ts)
 * and are published in order; a record that cannot be published is reported as a batch item failure so the event
 * source retries from it (ReportBatchItemFailures), and a `Registry Resync Required` event names the services held
 * back. Not Powertools' BatchProcessor: it processes records in parallel, and one instance's events must stay in
 * order.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { toStoredChange } from '../adapters/stream-record.js';
import { type EventSink, publishInOrder, reportPublished } from '../domain/publisher.js';
import type { Observability } from '../wiring/observability.js';

/** What the publisher needs: where events go, and where it logs and reports. */
export interface PublisherDependencies extends Observability {
  readonly sink: EventSink;
}

/**
 * @example
 * export const handler = publisherHandler(publisherFromEnv());
 */
export function publisherHandler({ sink, logger, telemetry }: PublisherDependencies) {
  return middy<DynamoDBStreamEvent, DynamoDBBatchResponse>()
    .use(injectLambdaContext(logger))
    .handler(async (event) => {
      const records = event.Records.map((record, i) => ({ id: record.dynamodb?.SequenceNumber ?? String(i), change: toStoredChange(record) }));
      const result = await publishInOrder(records, sink);
      reportPublished(telemetry, result, Date.now());
      if (result.failedRecordId === undefined) return { batchItemFailures: [] };
      logger.error('events not published; the batch will be retried from the failed record', {
        failedRecordId: result.failedRecordId,
        errors: result.errors.slice(0, 10),
        resync: result.resync,
      });
      return { batchItemFailures: [{ itemIdentifier: result.failedRecordId }] };
    });
}
