/**
 * Maps a DynamoDB stream record (Lambda's event shape) to the domain's `StoredChange`: the stream's INSERT, MODIFY
 * and REMOVE become which images are present, and the new image's `lastWrite` stamp says which kind of write it was.
 */
import type { AttributeValue as StreamAttributeValue, DynamoDBRecord } from 'aws-lambda';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { StoredChange } from '../domain/events.js';
import type { InstanceWrite } from '../domain/writes.js';
import { INSTANCE_PREFIX, PROTECTION_PARTITION, protectionShardOf, registryTable } from '../table.js';
import { toInstance, toProtectionState } from './items.js';

const TTL_PRINCIPAL = 'dynamodb.amazonaws.com';

const image = (value: Record<string, StreamAttributeValue> | undefined) => (value ? unmarshall(value as Record<string, AttributeValue>) : undefined);

/**
 * @example
 * toStoredChange(record); // => { kind: 'instance', newImage: {...}, write: 'register', byTtl: false, atMs }
 */
export function toStoredChange(record: DynamoDBRecord): StoredChange {
  const keys = image(record.dynamodb?.Keys) ?? {};
  const partition = keys[registryTable.partitionKey];
  const sort = keys[registryTable.sortKey];
  const atMs = (record.dynamodb?.ApproximateCreationDateTime ?? Date.now() / 1000) * 1000;
  const shard = partition === PROTECTION_PARTITION ? protectionShardOf(sort) : undefined;
  if (shard !== undefined) {
    const item = image(record.dynamodb?.NewImage);
    if (!item) return { kind: 'other' };
    return { kind: 'protection', shard, state: toProtectionState(item, atMs) };
  }
  if (typeof sort !== 'string' || !sort.startsWith(INSTANCE_PREFIX)) return { kind: 'other' };
  const removed = record.eventName === 'REMOVE';
  const oldImage = image(record.dynamodb?.OldImage);
  const newImage = removed ? undefined : image(record.dynamodb?.NewImage);
  const write = newImage?.lastWrite as InstanceWrite | undefined;
  return {
    kind: 'instance',
    ...(oldImage && { oldImage: toInstance(oldImage) }),
    ...(newImage && { newImage: toInstance(newImage) }),
    ...(write !== undefined && { write }),
    byTtl: record.userIdentity?.principalId === TTL_PRINCIPAL,
    // A write stamps updatedAtMs; a deregistration stamps removedAtMs before its delete (the registry's fast path
    // publishes with the same time). Other deletes (the sweeper's, TTL's) carry no time of their own, and the stream's
    // creation time is only approximate (whole seconds in AWS, coarser in DynamoDB Local), so they are stamped when
    // published.
    atMs: newImage?.updatedAtMs !== undefined ? Number(newImage.updatedAtMs) : (deregisteredAt(oldImage, record) ?? Math.max(atMs, Date.now())),
  };
}

/**
 * When a deregistration removed this item: its `removedAtMs` stamp, unless the delete was the sweeper's (its mark,
 * `lastWrite = removal`) or TTL's, whose old image may keep the stamp of a deregistration that found it expired.
 */
function deregisteredAt(oldImage: Record<string, unknown> | undefined, record: DynamoDBRecord): number | undefined {
  if (record.eventName !== 'REMOVE' || record.userIdentity?.principalId === TTL_PRINCIPAL || oldImage?.lastWrite === 'removal') return undefined;
  return typeof oldImage?.removedAtMs === 'number' ? oldImage.removedAtMs : undefined;
}
