/**
 * The DynamoDB requests our routes make, written out raw for the plain `DynamoDBClient` (AttributeValues, no
 * document client, no domain): the floor that bench/floor.ts (throughput) and bench/cpu.ts (CPU per request) set our
 * routes against. Each mirrors lambdas/adapters/dynamodb-store.ts — condition, updated attributes, return values —
 * so when the adapter changes, change these with it.
 */
import { type AttributeValue, type DynamoDBClient, PutItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { TTL_GRACE_SECONDS } from '../lambdas/domain/instance.js';
import { INSTANCE_PREFIX, instanceItemKey, registryTable, servicePartition } from '../lambdas/table.js';

export type RawItem = Record<string, AttributeValue>;

/**
 * A registration written as one conditional PutItem of `template` (a stored instance item, so attributes and size are
 * a registration's) with fresh timestamps: register's condition (nothing there, ours, or an expired lease) and
 * `ALL_OLD`, which register needs to tell a creation from a replace.
 */
export function conditionalPut(tableName: string, template: RawItem, owner: string, nowMs: number, revision: number, leaseSeconds = 60) {
  return new PutItemCommand({
    TableName: tableName,
    Item: {
      ...template,
      updatedAtMs: { N: String(nowMs) },
      leaseExpiresAtMs: { N: String(nowMs + leaseSeconds * 1000) },
      ttl: { N: String(Math.ceil(nowMs / 1000) + leaseSeconds + TTL_GRACE_SECONDS) },
      revision: { N: String(revision) },
    },
    ConditionExpression: 'attribute_not_exists(#pk) OR #owner = :owner OR #exp <= :now',
    ExpressionAttributeNames: { '#pk': registryTable.partitionKey, '#owner': 'owner', '#exp': 'leaseExpiresAtMs' },
    ExpressionAttributeValues: { ':owner': { S: owner }, ':now': { N: String(nowMs) } },
    ReturnValues: 'ALL_OLD',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  });
}

/**
 * The heartbeat's UpdateItem: lease and TTL moved on from the stored lease, `lastWrite`, the revision set to itself, live
 * and ours, `UPDATED_NEW` (the new expiry and the revision).
 */
export function heartbeatUpdate(tableName: string, service: string, instanceId: string, owner: string, nowMs: number) {
  const key = instanceItemKey(service, instanceId);
  return new UpdateItemCommand({
    TableName: tableName,
    Key: { [registryTable.partitionKey]: { S: key.pk }, [registryTable.sortKey]: { S: key.sk } },
    UpdateExpression: 'SET #exp = :now + #leaseMs, #ttl = :ttl + #leaseSeconds, #lastWrite = :hb, #revision = #revision',
    ConditionExpression: '#exp > :now AND #owner = :owner',
    ExpressionAttributeNames: {
      '#exp': 'leaseExpiresAtMs',
      '#leaseMs': 'leaseMs',
      '#ttl': 'ttl',
      '#leaseSeconds': 'leaseSeconds',
      '#lastWrite': 'lastWrite',
      '#owner': 'owner',
      '#revision': 'revision',
    },
    ExpressionAttributeValues: {
      ':now': { N: String(nowMs) },
      ':ttl': { N: String(Math.ceil(nowMs / 1000) + TTL_GRACE_SECONDS) },
      ':hb': { S: 'heartbeat' },
      ':owner': { S: owner },
    },
    ReturnValues: 'UPDATED_NEW',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  });
}

/** Discovery's Query of a service's instances (one page of `limit`), optionally projecting only `projection`. */
export function instanceQuery(tableName: string, service: string, limit: number, projection?: readonly string[], exclusiveStartKey?: RawItem) {
  return new QueryCommand({
    TableName: tableName,
    KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
    ExpressionAttributeNames: {
      '#pk': registryTable.partitionKey,
      '#sk': registryTable.sortKey,
      ...Object.fromEntries((projection ?? []).map((name, i) => [`#p${i}`, name])),
    },
    ExpressionAttributeValues: { ':pk': { S: servicePartition(service) }, ':prefix': { S: INSTANCE_PREFIX } },
    Limit: limit,
    ...(projection && { ProjectionExpression: projection.map((_, i) => `#p${i}`).join(', ') }),
    ...(exclusiveStartKey && { ExclusiveStartKey: exclusiveStartKey }),
  });
}

/** Every stored instance item of a service, raw, by instance id (the templates the floor writes copies of). */
export async function storedItems(client: DynamoDBClient, tableName: string, service: string): Promise<Map<string, RawItem>> {
  const items = new Map<string, RawItem>();
  let start: RawItem | undefined;
  do {
    const out = await client.send(instanceQuery(tableName, service, 1000, undefined, start));
    for (const item of out.Items ?? []) items.set(item[registryTable.sortKey]!.S!.slice(INSTANCE_PREFIX.length), item);
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/** An item's size as DynamoDB counts it, roughly: attribute names plus values (numbers counted as their digits). */
export function itemBytes(item: RawItem): number {
  const size = (v: AttributeValue): number => {
    if (v.S !== undefined) return Buffer.byteLength(v.S);
    if (v.N !== undefined) return v.N.length;
    if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
    if (v.L) return 3 + v.L.reduce((n, e) => n + 1 + size(e), 0);
    if (v.M) return 3 + Object.entries(v.M).reduce((n, [k, e]) => n + 1 + Buffer.byteLength(k) + size(e), 0);
    if (v.SS) return v.SS.reduce((n, s) => n + Buffer.byteLength(s), 0);
    return JSON.stringify(v).length;
  };
  return Object.entries(item).reduce((n, [k, v]) => n + Buffer.byteLength(k) + size(v), 0);
}
