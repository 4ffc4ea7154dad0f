/**
 * DynamoDB Streams → EventBridge. Records arrive already filtered (no heartbeat-only writes: see stream-filter.ts)
 * and are published in order; a record that cannot be published is reported as a batch item failure so the event
 * source retries from it (ReportBatchItemFailures), and a `Registry Resync Required` event names the services held
 * back. Not Powertools' BatchProcessor: it processes records in parallel, and one instance's events must stay in
 * order.
 *
 * The same batch keeps the service counters (lambdas/domain/stream-counters.ts): one conditional write per service,
 * idempotent under the mapping's retries. Counting and publishing run side by side; the batch item failure is the
 * earliest record either left unfinished.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { toStoredChange } from '../adapters/stream-record.js';
import { type EventSink, publishInOrder, reportPublished } from '../domain/publisher.js';
import { countFromStream, type StreamCounterStore } from '../domain/stream-counters.js';
import type { Observability } from '../wiring/observability.js';

/** What the publisher needs: where events go, where the service counters are kept, and where it logs and reports. */
export interface PublisherDependencies extends Observability {
  readonly sink: EventSink;
  readonly counters: StreamCounterStore;
}

/**
 * @example
 * export const handler = publisherHandler(publisherFromEnv());
 */
export function publisherHandler({ sink, counters, logger, telemetry }: PublisherDependencies) {
  return middy<DynamoDBStreamEvent, DynamoDBBatchResponse>()
    .use(injectLambdaContext(logger))
    .handler(async (event) => {
      const records = event.Records.map((record, i) => ({ id: record.dynamodb?.SequenceNumber ?? String(i), change: toStoredChange(record) }));
      const [result, counted] = await Promise.all([publishInOrder(records, sink), countFromStream(records, counters)]);
      reportPublished(telemetry, result, Date.now());
      const failed = earliest(records, [result.failedRecordId, counted.failedRecordId]);
      if (failed === undefined) return { batchItemFailures: [] };
      logger.error('batch not fully handled; it will be retried from the failed record', {
        failedRecordId: failed,
        ...(result.failedRecordId !== undefined && { publishErrors: result.errors.slice(0, 10), resync: result.resync }),
        ...(counted.failedRecordId !== undefined && { counterErrors: counted.errors.slice(0, 10) }),
      });
      return { batchItemFailures: [{ itemIdentifier: failed }] };
    });
}

/** Of the given record ids, the one earliest in the batch (the mapping retries from there). */
function earliest(records: ReadonlyArray<{ id: string }>, ids: ReadonlyArray<string | undefined>): string | undefined {
  const wanted = new Set(ids.filter((id) => id !== undefined));
  return records.find((record) => wanted.has(record.id))?.id;
}
