/** Maps a DynamoDB stream record (Lambda's event shape) to the domain's `StoredChange`. */
import type { AttributeValue as StreamAttributeValue, DynamoDBRecord } from 'aws-lambda';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { StoredChange } from '../domain/events.js';
import { PROTECTION_PARTITION, protectionShardOf } from '../table.js';
import { toInstance } from './dynamodb-store.js';

const TTL_PRINCIPAL = 'dynamodb.amazonaws.com';

const image = (value: Record<string, StreamAttributeValue> | undefined) =>
  value ? unmarshall(value as Record<string, AttributeValue>) : undefined;

/**
 * @example
 * toStoredChange(record); // => { kind: 'instance', eventName: 'INSERT', newImage: {...}, byTtl: false, atMs }
 */
export function toStoredChange(record: DynamoDBRecord): StoredChange {
  const keys = image(record.dynamodb?.Keys) ?? {};
  const atMs = (record.dynamodb?.ApproximateCreationDateTime ?? Date.now() / 1000) * 1000;
  const shard = keys.pk === PROTECTION_PARTITION ? protectionShardOf(keys.sk) : undefined;
  if (shard !== undefined) {
    const state = image(record.dynamodb?.NewImage);
    if (!state) return { kind: 'other' };
    return {
      kind: 'protection',
      engaged: state.engaged === true,
      state: {
        shard,
        engaged: state.engaged === true,
        probeEngaged: state.probeEngaged === true,
        leaseEngaged: state.leaseEngaged === true,
        failedTargets: Number(state.failedTargets ?? 0),
        probedTargets: Number(state.probedTargets ?? 0),
        expiredLeases: Number(state.expiredLeases ?? 0),
        leasedInstances: Number(state.leasedInstances ?? 0),
      },
      atMs: Number(state.atMs ?? atMs),
    };
  }
  if (typeof keys.sk !== 'string' || !keys.sk.startsWith('INST#')) return { kind: 'other' };
  const oldImage = image(record.dynamodb?.OldImage);
  const newImage = image(record.dynamodb?.NewImage);
  return {
    kind: 'instance',
    eventName: record.eventName ?? 'MODIFY',
    ...(oldImage && { oldImage: toInstance(oldImage) }),
    ...(newImage && { newImage: toInstance(newImage) }),
    byTtl: record.userIdentity?.principalId === TTL_PRINCIPAL,
    // A write stamps updatedAtMs; a delete has no new image, and the stream's creation time is only approximate
    // (whole seconds in AWS, coarser in DynamoDB Local), so a removal is stamped when it is published.
    atMs: newImage?.updatedAtMs !== undefined && record.eventName !== 'REMOVE' ? Number(newImage.updatedAtMs) : Math.max(atMs, Date.now()),
  };
}
