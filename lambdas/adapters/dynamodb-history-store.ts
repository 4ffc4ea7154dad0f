/**
 * DynamoDB adapter of {@link HistoryStore}, in the registry table (keys: lambdas/table.ts `historyPartition`), and
 * the mapping of a stream record to the history's {@link HistoryChange}.
 *
 * Each change is written twice, under the service's partition and under the instance's, so both reads are one
 * Query in key order with no filter over other instances' entries. Both items are under 1 KB: 2 write units per
 * change (two PutItem requests). Reads skip items past their retention, since DynamoDB's
 * TTL deletes expired items only eventually (typically within days:
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html).
 */
import type { AttributeValue as StreamAttributeValue, DynamoDBRecord } from 'aws-lambda';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ValidationError } from '../domain/errors.js';
import type { HistoryChange, HistoryItem, HistoryItemPage, HistoryStore, WriterStamp } from '../domain/history.js';
import { historyPartition, registryTable } from '../table.js';
import { toStoredChange } from './stream-record.js';

/** Wide enough for every revision (`firstRevision` is the registration time in microseconds: 16 digits). */
const REVISION_DIGITS = 17;
/** PutItem requests in flight at once (a chunk of changes is two items each). */
const PARALLEL_PUTS = 25;

/** Sort key: time first (newest first is a reverse Query), then instance and revision (unique, retry-stable). */
function sortKey(item: Pick<HistoryItem, 'atMs' | 'instanceId' | 'revision'>): string {
  return `${new Date(item.atMs).toISOString()}#${item.instanceId}#${String(item.revision).padStart(REVISION_DIGITS, '0')}`;
}

const SORT_KEY_SHAPE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[A-Za-z0-9._:-]{1,128}#\d{17}$/;

function encodeCursor(sk: string): string {
  return Buffer.from(sk).toString('base64url');
}

function decodeCursor(cursor: string): string {
  const sk = Buffer.from(cursor, 'base64url').toString();
  if (!SORT_KEY_SHAPE.test(sk)) throw new ValidationError([{ field: 'query.cursor', message: 'is not a cursor this route returned' }]);
  return sk;
}

/** The attributes of a history item besides its key and TTL: exactly the entry's fields. */
type StoredEntry = { [K in keyof HistoryItem]: HistoryItem[K] };

export class DynamoDbHistoryStore implements HistoryStore {
  /**
   * @param retentionDays - how long entries are kept (`REGISTRY_HISTORY_RETENTION_DAYS`); sets each item's TTL.
   */
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays: number,
  ) {}

  async put(items: readonly HistoryItem[]): Promise<void> {
    const puts: Array<Record<string, unknown>> = [];
    for (const item of items) {
      const stored: StoredEntry = { ...item, changed: [...item.changed] };
      const expires = { [registryTable.timeToLiveAttribute]: Math.ceil(item.atMs / 1000) + this.retentionDays * 86_400 };
      const sk = sortKey(item);
      for (const pk of [historyPartition(item.service), historyPartition(item.service, item.instanceId)]) {
        puts.push({ [registryTable.partitionKey]: pk, [registryTable.sortKey]: sk, kind: 'history', ...stored, ...expires });
      }
    }
    // PutItem, not BatchWriteItem: the writer's role may then put history items and nothing else (BatchWriteItem
    // would let it delete too; its IAM grant is limited to `HISTORY#` partition keys, see packages/cdk/src/history.ts).
    // Unconditional: writing an entry again (a retried batch) overwrites it with the same content.
    for (let start = 0; start < puts.length; start += PARALLEL_PUTS) {
      await Promise.all(puts.slice(start, start + PARALLEL_PUTS).map((Item) => this.client.send(new PutCommand({ TableName: this.tableName, Item }))));
    }
  }

  async page(query: { service: string; instanceId?: string; sinceMs?: number; limit: number; cursor?: string; nowMs: number }): Promise<HistoryItemPage> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const pk = historyPartition(query.service, query.instanceId);
    const since = query.sinceMs === undefined ? undefined : new Date(Math.max(0, query.sinceMs)).toISOString();
    const items: HistoryItem[] = [];
    let start: Record<string, unknown> | undefined = after === undefined ? undefined : { [registryTable.partitionKey]: pk, [registryTable.sortKey]: after };
    for (;;) {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: since === undefined ? '#pk = :pk' : '#pk = :pk AND #sk >= :since',
          // Past its retention but not yet deleted by TTL: gone for readers.
          FilterExpression: '#ttl > :now',
          ExpressionAttributeNames: {
            '#pk': registryTable.partitionKey,
            '#ttl': registryTable.timeToLiveAttribute,
            ...(since !== undefined && { '#sk': registryTable.sortKey }),
          },
          ExpressionAttributeValues: { ':pk': pk, ':now': Math.floor(query.nowMs / 1000), ...(since !== undefined && { ':since': since }) },
          ScanIndexForward: false,
          Limit: query.limit - items.length,
          ...(start && { ExclusiveStartKey: start }),
        }),
      );
      items.push(...(out.Items ?? []).map(toHistoryItem));
      start = out.LastEvaluatedKey;
      if (!start) return { items };
      if (items.length >= query.limit) return { items, cursor: encodeCursor(sortKey(items[items.length - 1]!)) };
    }
  }
}

function toHistoryItem(item: Record<string, unknown>): HistoryItem {
  return {
    service: String(item.service),
    instanceId: String(item.instanceId),
    revision: Number(item.revision),
    detailType: String(item.detailType),
    changed: Array.isArray(item.changed) ? item.changed.map(String) : [],
    reason: String(item.reason),
    principal: String(item.principal),
    time: String(item.time),
    atMs: Number(item.atMs),
  };
}

const image = (value: Record<string, StreamAttributeValue> | undefined) => (value ? unmarshall(value as Record<string, AttributeValue>) : undefined);

function stampOf(item: Record<string, unknown> | undefined): WriterStamp | undefined {
  if (!item) return undefined;
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const stamp = {
    lastWrite: text(item.lastWrite),
    lastWriter: text(item.lastWriter),
    owner: text(item.owner),
    removal: text(item.removal),
    updatedAtMs: typeof item.updatedAtMs === 'number' ? item.updatedAtMs : undefined,
  };
  return Object.fromEntries(Object.entries(stamp).filter(([, v]) => v !== undefined)) as WriterStamp;
}

/**
 * @example
 * toHistoryChange(record, 0); // => { id: '4200…', change: { kind: 'instance', … }, newStamp: { lastWriter: 'alice', … }, recordedAtMs }
 */
export function toHistoryChange(record: DynamoDBRecord, index: number): HistoryChange {
  const oldStamp = stampOf(image(record.dynamodb?.OldImage));
  const newStamp = stampOf(image(record.dynamodb?.NewImage));
  return {
    id: record.dynamodb?.SequenceNumber ?? String(index),
    change: toStoredChange(record),
    ...(oldStamp && { oldStamp }),
    ...(newStamp && { newStamp }),
    recordedAtMs: (record.dynamodb?.ApproximateCreationDateTime ?? 0) * 1000,
  };
}
