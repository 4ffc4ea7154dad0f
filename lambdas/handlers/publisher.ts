/**
 * DynamoDB Streams → EventBridge. Records arrive already filtered (no heartbeat-only writes: see stream-filter.ts)
 * and are published in order; a record that cannot be published is reported as a batch item failure so the event
 * source retries from it (ReportBatchItemFailures), and a `Registry Resync Required` event names the services held
 * back. Not Powertools' BatchProcessor: it processes records in parallel, and one instance's events must stay in
 * order.
 */
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgeSink } from '../adapters/eventbridge-sink.js';
import { toStoredChange } from '../adapters/stream-record.js';
import { publishInOrder } from '../domain/publisher.js';
import { logger, metrics } from '../shared/powertools.js';

const busName = process.env.EVENT_BUS_NAME;
if (!busName) throw new Error('environment variable EVENT_BUS_NAME is required');
const sink = new EventBridgeSink(new EventBridgeClient({}), busName, process.env.REGISTRY_EVENT_SOURCE || 'service-registry');

export const handler = middy<DynamoDBStreamEvent, DynamoDBBatchResponse>().handler(async (event) => {
  const records = event.Records.map((record, i) => ({ id: record.dynamodb?.SequenceNumber ?? String(i), change: toStoredChange(record) }));
  const result = await publishInOrder(records, sink);
  metrics.addMetric('EventsPublished', 'Count', result.published);
  // The alarm on failed publishing watches this metric: failures are returned as batch item failures, not thrown,
  // so the function's Errors metric never sees them.
  metrics.addMetric('PublishFailures', 'Count', result.errors.length);
  if (result.resync) metrics.addMetric('ResyncEventsPublished', 'Count', result.resync.published ? 1 : 0);
  metrics.publishStoredMetrics();
  if (result.failedRecordId === undefined) return { batchItemFailures: [] };
  logger.error('events not published; the batch will be retried from the failed record', {
    failedRecordId: result.failedRecordId,
    errors: result.errors.slice(0, 10),
    resync: result.resync,
  });
  return { batchItemFailures: [{ itemIdentifier: result.failedRecordId }] };
});
