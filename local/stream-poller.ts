/**
 * Local stand-in for the DynamoDB Streams event source mapping: reads DynamoDB Local's stream with
 * `@aws-sdk/client-dynamodb-streams` (shards, iterators, GetRecords), applies the same filter criteria as the CDK
 * mapping, and invokes the unchanged publisher handler with `DynamoDBStreamEvent` batches. A batch item failure
 * makes it retry from the failed record (after a backoff); nothing is skipped and order per shard is kept.
 */
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand, type _Record } from '@aws-sdk/client-dynamodb-streams';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { streamFilterPatterns } from '../lambdas/stream-filter.js';
import { passesFilters } from './event-pattern.js';
import { lambdaContext } from './lambda-context.js';

export type StreamHandler = (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse | void>;

export interface StreamPollerOptions {
  readonly tableName: string;
  readonly handler: StreamHandler;
  /** Poll interval per shard. @default 50 */
  readonly pollMs?: number;
  /** Read open shards from their start (a table this run created) rather than their tip. @default false */
  readonly fromStart?: boolean;
  /** Largest batch handed to the handler. @default 100 */
  readonly batchSize?: number;
  readonly onError?: (error: unknown) => void;
}

/**
 * The SDK's stream client hands an empty map attribute back as `{}` instead of `{ M: {} }` (lists and other types
 * are fine); Lambda's event carries `{ M: {} }`, so restore it.
 */
function restoreEmptyMaps(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const attribute = value as Record<string, unknown>;
  if (Object.keys(attribute).length === 0) return { M: {} };
  if (attribute.M) return { M: restoreImage(attribute.M as Record<string, unknown>) };
  if (Array.isArray(attribute.L)) return { L: attribute.L.map(restoreEmptyMaps) };
  return attribute;
}

function restoreImage(image: Record<string, unknown> | undefined) {
  return image && Object.fromEntries(Object.entries(image).map(([k, v]) => [k, restoreEmptyMaps(v)]));
}

/** Stream record (SDK shape, dates as Date) → the JSON shape Lambda receives. */
function toLambdaRecord(record: _Record): DynamoDBRecord {
  const { dynamodb, ...rest } = record;
  const created = dynamodb?.ApproximateCreationDateTime;
  return {
    ...(rest as DynamoDBRecord),
    eventSource: 'aws:dynamodb',
    dynamodb: {
      ...(dynamodb as DynamoDBRecord['dynamodb']),
      ...(dynamodb?.NewImage && { NewImage: restoreImage(dynamodb.NewImage as Record<string, unknown>) }),
      ...(dynamodb?.OldImage && { OldImage: restoreImage(dynamodb.OldImage as Record<string, unknown>) }),
      ...(created && { ApproximateCreationDateTime: Math.floor(new Date(created).getTime() / 1000) }),
    } as DynamoDBRecord['dynamodb'],
  };
}

/**
 * @example
 * const poller = await startStreamPoller({ tableName, handler });
 * await poller.stop();
 */
export async function startStreamPoller(options: StreamPollerOptions): Promise<{ stop(): Promise<void> }> {
  const dynamodb = new DynamoDBClient({});
  const streams = new DynamoDBStreamsClient({});
  const table = await dynamodb.send(new DescribeTableCommand({ TableName: options.tableName }));
  const streamArn = table.Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`table ${options.tableName} has no stream`);
  const pollMs = options.pollMs ?? 50;
  const batchSize = options.batchSize ?? 100;
  let stopped = false;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const started = new Set<string>();
  const loops: Array<Promise<void>> = [];

  /** Follows one shard from its start (or the stream's tip for shards that existed before we started). */
  const follow = async (shardId: string, fromLatest: boolean) => {
    const iteratorAt = async (type: 'LATEST' | 'TRIM_HORIZON' | 'AFTER_SEQUENCE_NUMBER', sequenceNumber?: string) =>
      (await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ShardIteratorType: type, ...(sequenceNumber && { SequenceNumber: sequenceNumber }) })))
        .ShardIterator;
    let iterator = await iteratorAt(fromLatest ? 'LATEST' : 'TRIM_HORIZON');
    /** The last record read from this shard: after a lost iterator, reading resumes after it and skips repeats. */
    let lastRead: bigint | undefined;
    let lastReadId = '';
    let pending: DynamoDBRecord[] = [];
    let backoff = 0;
    while (!stopped && (iterator || pending.length > 0)) {
      if (iterator && pending.length < batchSize) {
        let out;
        try {
          out = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
        } catch (error) {
          // An iterator can expire or fall behind the trim horizon: take a new one after the last record read.
          if ((error as Error).name !== 'TrimmedDataAccessException' && (error as Error).name !== 'ExpiredIteratorException') throw error;
          iterator = lastRead === undefined ? await iteratorAt('TRIM_HORIZON') : await iteratorAt('AFTER_SEQUENCE_NUMBER', lastReadId).catch(() => iteratorAt('TRIM_HORIZON'));
          await sleep(pollMs);
          continue;
        }
        iterator = out.NextShardIterator;
        for (const record of out.Records ?? []) {
          const seq = BigInt(record.dynamodb?.SequenceNumber ?? '0');
          if (lastRead !== undefined && seq <= lastRead) continue;
          lastRead = seq;
          lastReadId = record.dynamodb!.SequenceNumber!;
          const event = toLambdaRecord(record);
          if (passesFilters(streamFilterPatterns, event)) pending.push(event);
        }
      }
      if (pending.length === 0) {
        await sleep(pollMs);
        continue;
      }
      const batch = pending.slice(0, batchSize);
      const result = await options.handler({ Records: batch }, lambdaContext('Publisher', 60_000)).catch((error: unknown) => {
        options.onError?.(error);
        return { batchItemFailures: [{ itemIdentifier: batch[0]!.dynamodb!.SequenceNumber! }] };
      });
      const failure = result?.batchItemFailures?.[0]?.itemIdentifier;
      const failedAt = failure === undefined ? -1 : batch.findIndex((r) => r.dynamodb?.SequenceNumber === failure);
      if (failedAt < 0) {
        pending = pending.slice(batch.length);
        backoff = 0;
      } else {
        // Retry from the failed record, as the event source mapping does with ReportBatchItemFailures.
        pending = pending.slice(failedAt);
        backoff = Math.min(5000, backoff ? backoff * 2 : 100);
        await sleep(backoff);
      }
    }
  };

  const discover = async (first: boolean) => {
    const description = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    for (const shard of description.StreamDescription?.Shards ?? []) {
      if (!shard.ShardId || started.has(shard.ShardId)) continue;
      started.add(shard.ShardId);
      // Shards open when we start are read from their tip; shards that appear later, from their beginning.
      const fromLatest = first && !options.fromStart && shard.SequenceNumberRange?.EndingSequenceNumber === undefined;
      if (first && !options.fromStart && !fromLatest) continue; // closed before we started: nothing of ours in it
      loops.push(follow(shard.ShardId, fromLatest).catch((error: unknown) => options.onError?.(error)));
    }
  };
  await discover(true);
  const watcher = (async () => {
    while (!stopped) {
      await sleep(1000);
      if (!stopped) await discover(false).catch((error: unknown) => options.onError?.(error));
    }
  })();

  return {
    stop: async () => {
      stopped = true;
      await watcher;
      await Promise.all(loops);
      dynamodb.destroy();
      streams.destroy();
    },
  };
}
