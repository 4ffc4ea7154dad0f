/**
 * DynamoDB Streams → change history: the stream's second consumer, beside the publisher, with its own event source
 * mapping (AWS) or stream poller (local), so a history failure never blocks or fails a registry write or event
 * publishing. Records arrive through the publisher's filter (lambdas/stream-filter.ts): history keeps what is
 * published. A batch whose entries cannot be written reports the earliest such record as the batch item failure,
 * so the event source retries from it; entries are keyed by instance and revision, so a retry overwrites instead of
 * duplicating.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { toHistoryChange } from '../adapters/dynamodb-history-store.js';
import { type HistoryStore, recordHistory } from '../domain/history.js';

/** What the history writer needs: where entries go, and where it logs. */
export interface HistoryWriterDependencies {
  readonly store: HistoryStore;
  readonly logger: Logger;
}

/**
 * @example
 * export const handler = historyHandler(historyFromEnv());
 */
export function historyHandler({ store, logger }: HistoryWriterDependencies) {
  return middy<DynamoDBStreamEvent, DynamoDBBatchResponse>()
    .use(injectLambdaContext(logger))
    .handler(async (event) => {
      const result = await recordHistory(event.Records.map(toHistoryChange), store);
      if (result.failedRecordId === undefined) return { batchItemFailures: [] };
      logger.error('history not written; the batch will be retried from the failed record', {
        failedRecordId: result.failedRecordId,
        error: result.error instanceof Error ? `${result.error.name}: ${result.error.message}` : String(result.error),
      });
      return { batchItemFailures: [{ itemIdentifier: result.failedRecordId }] };
    });
}
