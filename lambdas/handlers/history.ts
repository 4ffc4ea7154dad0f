/**
 * DynamoDB Streams → change history: the stream's second consumer, beside the publisher, with its own event source
 * mapping (AWS) or stream poller (local), so a history failure never blocks or fails a registry write or event
 * publishing. Records arrive through the publisher's filter (lambdas/stream-filter.ts): history keeps what is
 * published. A batch whose entries cannot be written reports the earliest such record as the batch item failure,
 * so the event source retries from it; entries are keyed by instance and revision, so a retry overwrites instead of
 * duplicating.
 */
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbHistoryStore, toHistoryChange } from '../adapters/dynamodb-history-store.js';
import { recordHistory, type HistoryStore } from '../domain/history.js';
import { HISTORY_RETENTION_DAYS } from '../table.js';
import { logger } from '../shared/powertools.js';

/**
 * `REGISTRY_HISTORY_RETENTION_DAYS`, a whole number of days, 1-3650.
 *
 * @example
 * historyRetentionDays({ REGISTRY_HISTORY_RETENTION_DAYS: '7' }); // => 7
 */
export function historyRetentionDays(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.REGISTRY_HISTORY_RETENTION_DAYS;
  if (raw === undefined || raw.trim() === '') return HISTORY_RETENTION_DAYS.default;
  const days = Number(raw);
  if (!Number.isInteger(days) || days < 1 || days > HISTORY_RETENTION_DAYS.max) {
    throw new Error(`REGISTRY_HISTORY_RETENTION_DAYS must be a whole number of days from 1 to ${HISTORY_RETENTION_DAYS.max}, got '${raw}'`);
  }
  return days;
}

/** The writer's dependencies from the environment (`TABLE_NAME`, `REGISTRY_HISTORY_RETENTION_DAYS`). */
export function fromEnv(env: NodeJS.ProcessEnv = process.env): { store: HistoryStore } {
  const tableName = env.TABLE_NAME;
  if (!tableName) throw new Error('environment variable TABLE_NAME is required');
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  return { store: new DynamoDbHistoryStore(client, tableName, historyRetentionDays(env)) };
}

/**
 * @example
 * export const handler = historyHandler({ store });
 */
export function historyHandler(deps: { store: HistoryStore }) {
  return middy<DynamoDBStreamEvent, DynamoDBBatchResponse>().handler(async (event) => {
    const result = await recordHistory(event.Records.map(toHistoryChange), deps.store);
    if (result.failedRecordId === undefined) return { batchItemFailures: [] };
    logger.error('history not written; the batch will be retried from the failed record', {
      failedRecordId: result.failedRecordId,
      error: result.error instanceof Error ? `${result.error.name}: ${result.error.message}` : String(result.error),
    });
    return { batchItemFailures: [{ itemIdentifier: result.failedRecordId }] };
  });
}

export const handler = historyHandler(fromEnv());
