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
import { publishInOrder, reportPublished } from '../domain/publisher.js';
import { logger, telemetry } from '../shared/powertools.js';

const busName = process.env.EVENT_BUS_NAME;
if (!busName) throw new Error('environment variable EVENT_BUS_NAME is required');
const sink = new EventBridgeSink(new EventBridgeClient({}), busName, process.env.REGISTRY_EVENT_SOURCE || 'service-registry');

export const handler = middy<DynamoDBStreamEvent, DynamoDBBatchResponse>().handler(async (event) => {
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
