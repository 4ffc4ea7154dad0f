/**
 * Local stand-in for the DynamoDB Streams event source mapping: reads DynamoDB Local's stream with
 * `@aws-sdk/client-dynamodb-streams` (shards, iterators, GetRecords), applies the same filter criteria as the CDK
 * mapping, and invokes the unchanged publisher handler with `DynamoDBStreamEvent` batches, one batch per shard at a
 * time, in order. It behaves like the mapping the CDK construct configures where that matters
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html,
 * https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html#services-dynamodb-errors):
 * - a batch item failure retries from the failed record (ReportBatchItemFailures), after a backoff;
 * - bisect on error: each retry takes half the batch it retries, so a record that keeps failing ends up alone
 *   (AWS halves on a function error and retries the remainder on a partial response; halving both here only makes
 *   the discard below take fewer records);
 * - bounded retries (`maximumRetryAttempts`, 10 as the construct sets) and a maximum record age (6 h): then the
 *   records are discarded and handed to the on-failure destination — here a JSON line with the whole records in
 *   `failureFile` (like the construct's S3 destination) and `onDiscard`. The publisher has already announced
 *   `Registry Resync Required` for them by then.
 * - the position: the mapping keeps its own checkpoint per shard; here `positionFile` keeps the last sequence
 *   number fully handled per shard (published, or filtered out), so a restart resumes AFTER_SEQUENCE_NUMBER (or
 *   TRIM_HORIZON for a shard never read) instead of the stream's tip. Records handled but not yet saved when the
 *   process dies are published again: duplicates carry the same `eventId`, and subscribers apply by revision.
 *   A file next to DynamoDB Local's data rather than an item in the table: the position belongs to the event
 *   source, not to the registry's data, and in the table it would add items the CDK table never has and stream
 *   records of its own for every batch.
 * - errors never end a shard's reading: a failed GetRecords (other than a lost iterator, which is replaced) or a
 *   failed write to the on-failure destination is reported in one line (`onError`) and retried after a backoff, as
 *   the mapping keeps polling; a discard that cannot be written keeps its records (the position does not move).
 */
import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type GetRecordsCommandOutput,
  type _Record,
} from '@aws-sdk/client-dynamodb-streams';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { streamFilterPatterns } from '../lambdas/stream-filter.js';
import { passesFilters } from './event-pattern.js';
import { localClientConfig } from './dynamodb-local.js';
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
  /** Keep the position per shard in this JSON file and resume from it (a persistent data dir). @default none */
  readonly positionFile?: string;
  /** Append discarded records here as JSON lines (the on-failure destination). @default none: `onDiscard` only */
  readonly failureFile?: string;
  /** Retries of a failing batch before its records are discarded (the construct sets 10). @default 10 */
  readonly maxRetryAttempts?: number;
  /** Records older than this are discarded instead of retried (the construct sets 6 h). @default 21_600_000 */
  readonly maxRecordAgeMs?: number;
  /** First retry delay; doubles up to 5 s. @default 100 */
  readonly retryBaseMs?: number;
  readonly onError?: (error: unknown) => void;
  /** Called when records are discarded (retries exhausted or too old). */
  readonly onDiscard?: (info: DiscardInfo) => void;
  /** Clock (record age). @default Date.now */
  readonly now?: () => number;
  /** The Streams client to read with (tests inject faults through its middleware). @default one from the environment */
  readonly streams?: DynamoDBStreamsClient;
  /** DynamoDB Local's endpoint, for the poller's own clients. @default - the SDK's configuration (`AWS_ENDPOINT_URL_*`) */
  readonly endpoint?: string;
}

/** What the on-failure destination receives (AWS sends the batch's metadata; the S3 destination the records too). */
export interface DiscardInfo {
  readonly reason: 'retries exhausted' | 'maximum record age';
  readonly shardId: string;
  readonly firstSequence: string;
  readonly lastSequence: string;
  readonly records: number;
}

/** The saved positions: per shard, the last sequence number fully handled, or that the shard is closed and done. */
interface Positions {
  streamArn: string;
  shards: Record<string, { sequence?: string; done?: boolean }>;
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
export function toLambdaRecord(record: _Record): DynamoDBRecord {
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
 * const poller = await startStreamPoller({ tableName, handler, positionFile: '/data/stream-positions.json' });
 * await poller.stop();
 */
export async function startStreamPoller(options: StreamPollerOptions): Promise<{ stop(): Promise<void> }> {
  const clientConfig = options.endpoint ? localClientConfig(options.endpoint) : {};
  const dynamodb = new DynamoDBClient(clientConfig);
  const streams = options.streams ?? new DynamoDBStreamsClient(clientConfig);
  const table = await dynamodb.send(new DescribeTableCommand({ TableName: options.tableName }));
  const streamArn = table.Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`table ${options.tableName} has no stream`);
  const pollMs = options.pollMs ?? 50;
  const batchSize = options.batchSize ?? 100;
  const maxRetryAttempts = options.maxRetryAttempts ?? 10;
  const maxRecordAgeMs = options.maxRecordAgeMs ?? 6 * 3600_000;
  const retryBaseMs = options.retryBaseMs ?? 100;
  const now = options.now ?? Date.now;
  let stopped = false;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const started = new Set<string>();
  const loops: Array<Promise<void>> = [];
  const saved = options.positionFile ? await loadPositions(options.positionFile, streamArn) : undefined;
  const positions: Positions = saved ?? { streamArn, shards: {} };
  const store = options.positionFile ? positionWriter(options.positionFile, positions, (error) => options.onError?.(error)) : undefined;

  const nextBackoff = (previous: number) => Math.min(5000, previous ? previous * 2 : retryBaseMs);

  /**
   * Hands records to the on-failure destination. A failed write is reported and retried after a backoff until it
   * succeeds: the records are handled (and the position moves past them) only once they are kept. False when the
   * poller stopped first (the position stays before them, so the next run reads them again).
   */
  const discard = async (shardId: string, records: readonly DynamoDBRecord[], reason: DiscardInfo['reason']): Promise<boolean> => {
    const info: DiscardInfo = {
      reason,
      shardId,
      firstSequence: records[0]!.dynamodb!.SequenceNumber!,
      lastSequence: records.at(-1)!.dynamodb!.SequenceNumber!,
      records: records.length,
    };
    let backoff = 0;
    while (options.failureFile) {
      try {
        await mkdir(dirname(options.failureFile), { recursive: true });
        await appendFile(options.failureFile, `${JSON.stringify({ time: new Date(now()).toISOString(), ...info, streamArn, Records: records })}\n`);
        break;
      } catch (error) {
        options.onError?.(error);
        if (stopped) return false;
        backoff = nextBackoff(backoff);
        await sleep(backoff);
      }
    }
    options.onDiscard?.(info);
    return true;
  };

  /** Follows one shard from `start` (an iterator type, or after a saved sequence number). */
  const follow = async (shardId: string, start: 'LATEST' | 'TRIM_HORIZON' | { after: string }) => {
    const iteratorAt = async (type: 'LATEST' | 'TRIM_HORIZON' | 'AFTER_SEQUENCE_NUMBER', sequenceNumber?: string) =>
      (
        await streams.send(
          new GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: shardId,
            ShardIteratorType: type,
            ...(sequenceNumber && { SequenceNumber: sequenceNumber }),
          }),
        )
      ).ShardIterator;
    const resumeAfter = typeof start === 'object' ? start.after : undefined;
    let readBackoff = 0;
    let iterator: string | undefined;
    while (!stopped && iterator === undefined) {
      try {
        iterator =
          resumeAfter === undefined
            ? await iteratorAt(start as 'LATEST' | 'TRIM_HORIZON')
            : // The saved record may have been trimmed (older than the stream keeps): then everything left is newer.
              await iteratorAt('AFTER_SEQUENCE_NUMBER', resumeAfter).catch(() => iteratorAt('TRIM_HORIZON'));
      } catch (error) {
        options.onError?.(error);
        readBackoff = nextBackoff(readBackoff);
        await sleep(readBackoff);
      }
    }
    /** The last record read from this shard: after a lost iterator, reading resumes after it and skips repeats. */
    let lastRead: bigint | undefined = resumeAfter === undefined ? undefined : BigInt(resumeAfter);
    let lastReadId = resumeAfter ?? '';
    let pending: DynamoDBRecord[] = [];
    let backoff = 0;
    /** Failed attempts of the batch starting at pending[0], and the size of the next attempt (halved by bisect). */
    let failures = 0;
    let limit = batchSize;
    /** Everything up to `sequence` is handled (published, filtered out or discarded): save it. */
    const handled = (sequence: string) => {
      positions.shards[shardId] = { sequence };
      store?.save();
    };
    while (!stopped && (iterator || pending.length > 0)) {
      if (iterator && pending.length < batchSize) {
        let out: GetRecordsCommandOutput;
        try {
          out = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
          readBackoff = 0;
        } catch (error) {
          const name = (error as Error).name;
          try {
            // An iterator can expire or fall behind the trim horizon: take a new one after the last record read.
            if (name === 'TrimmedDataAccessException' || name === 'ExpiredIteratorException') {
              iterator =
                lastRead === undefined
                  ? await iteratorAt('TRIM_HORIZON')
                  : await iteratorAt('AFTER_SEQUENCE_NUMBER', lastReadId).catch(() => iteratorAt('TRIM_HORIZON'));
              await sleep(pollMs);
              continue;
            }
            // Anything else (throttled, DynamoDB Local busy or restarting): the iterator is still good; try again later.
            options.onError?.(error);
          } catch (again) {
            options.onError?.(again);
          }
          readBackoff = nextBackoff(readBackoff);
          await sleep(readBackoff);
          continue;
        }
        iterator = out.NextShardIterator;
        const before = lastReadId;
        for (const record of out.Records ?? []) {
          const seq = BigInt(record.dynamodb?.SequenceNumber ?? '0');
          if (lastRead !== undefined && seq <= lastRead) continue;
          lastRead = seq;
          lastReadId = record.dynamodb!.SequenceNumber!;
          const event = toLambdaRecord(record);
          if (passesFilters(streamFilterPatterns, event)) pending.push(event);
        }
        // Only filtered-out records (heartbeats) read: they are handled too.
        if (pending.length === 0 && lastReadId !== before) handled(lastReadId);
      }
      if (pending.length === 0) {
        if (!iterator) {
          // A closed shard, read to its end: it never needs reading again.
          positions.shards[shardId] = { done: true };
          store?.save();
          break;
        }
        await sleep(pollMs);
        continue;
      }
      // Maximum record age: a failing batch whose records are older than this is not retried again but sent to the
      // on-failure destination, as AWS does (records that keep succeeding are published however old).
      const age = now() - (pending[0]!.dynamodb?.ApproximateCreationDateTime ?? Infinity) * 1000;
      if (failures > 0 && age > maxRecordAgeMs) {
        const expired = pending.slice(0, limit);
        if (!(await discard(shardId, expired, 'maximum record age'))) break;
        pending = pending.slice(expired.length);
        handled(pending.length === 0 ? lastReadId : expired.at(-1)!.dynamodb!.SequenceNumber!);
        failures = 0;
        limit = batchSize;
        continue;
      }
      const batch = pending.slice(0, limit);
      const result = await options.handler({ Records: batch }, lambdaContext('Publisher', 60_000)).catch((error: unknown) => {
        options.onError?.(error);
        return { batchItemFailures: [{ itemIdentifier: batch[0]!.dynamodb!.SequenceNumber! }] };
      });
      const failure = result?.batchItemFailures?.[0]?.itemIdentifier;
      const failedAt =
        failure === undefined
          ? -1
          : Math.max(
              0,
              batch.findIndex((r) => r.dynamodb?.SequenceNumber === failure),
            );
      if (failedAt < 0) {
        pending = pending.slice(batch.length);
        handled(pending.length === 0 ? lastReadId : batch.at(-1)!.dynamodb!.SequenceNumber!);
        backoff = 0;
        failures = 0;
        limit = batchSize;
        continue;
      }
      if (failedAt > 0) {
        // The records before the failed one are done: the checkpoint moves, and the retry count starts again.
        handled(batch[failedAt - 1]!.dynamodb!.SequenceNumber!);
        pending = pending.slice(failedAt);
        failures = 0;
      }
      failures++;
      const retried = batch.slice(failedAt);
      if (failures > maxRetryAttempts) {
        if (!(await discard(shardId, retried, 'retries exhausted'))) break;
        pending = pending.slice(retried.length);
        handled(pending.length === 0 ? lastReadId : retried.at(-1)!.dynamodb!.SequenceNumber!);
        failures = 0;
        limit = batchSize;
        backoff = 0;
        continue;
      }
      limit = Math.max(1, Math.ceil(retried.length / 2));
      backoff = nextBackoff(backoff);
      await sleep(backoff);
    }
  };

  const discover = async (first: boolean) => {
    const description = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    for (const shard of description.StreamDescription?.Shards ?? []) {
      if (!shard.ShardId || started.has(shard.ShardId)) continue;
      started.add(shard.ShardId);
      const position = positions.shards[shard.ShardId];
      if (position?.done) continue;
      if (position?.sequence) {
        loops.push(follow(shard.ShardId, { after: position.sequence }).catch((error: unknown) => options.onError?.(error)));
        continue;
      }
      // Without a saved position: a shard that appears while we run, or any shard when positions are kept (a
      // persisted stream whose unread records must not be skipped), is read from its start. Without positions,
      // shards open when we start are read from their tip, and closed ones hold nothing of ours.
      const fromStart = !first || options.fromStart === true || store !== undefined;
      if (!fromStart && shard.SequenceNumberRange?.EndingSequenceNumber !== undefined) continue;
      loops.push(follow(shard.ShardId, fromStart ? 'TRIM_HORIZON' : 'LATEST').catch((error: unknown) => options.onError?.(error)));
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
      await store?.flush();
      dynamodb.destroy();
      if (!options.streams) streams.destroy();
    },
  };
}

async function loadPositions(file: string, streamArn: string): Promise<Positions | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined; // first run on this data dir
  }
  const parsed = JSON.parse(text) as Positions;
  // Another stream (the table was recreated): its positions mean nothing here.
  return parsed.streamArn === streamArn && typeof parsed.shards === 'object' ? parsed : undefined;
}

/**
 * Saves positions in the background, one write at a time, the latest state each time (write a temporary file,
 * then rename: a crash mid-write leaves the previous file whole).
 */
function positionWriter(file: string, positions: Positions, onError: (error: unknown) => void) {
  let writing: Promise<void> | undefined;
  let dirty = false;
  const write = async () => {
    await mkdir(dirname(file), { recursive: true });
    while (dirty) {
      dirty = false;
      await writeFile(`${file}.tmp`, JSON.stringify(positions));
      await rename(`${file}.tmp`, file);
    }
  };
  return {
    save(): void {
      dirty = true;
      // A failed save is retried by the next one; meanwhile a restart would only publish some records again.
      writing ??= write()
        .catch(onError)
        .finally(() => (writing = undefined));
    },
    async flush(): Promise<void> {
      while (writing) await writing;
    },
  };
}
