/** Protection events say which prober shard's guard changed, and still match the frozen v1 contract. */
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { toStoredChange } from '../../../lambdas/adapters/stream-record.js';
import { protectionEventDetail } from '@service-registry/contracts';
import { classify } from '../../../lambdas/domain/events.js';
import { protectionItemKey } from '../../../lambdas/table.js';

const stateRecord = (shard: number, engaged: boolean): DynamoDBRecord => ({
  eventName: 'MODIFY',
  dynamodb: {
    Keys: marshall(protectionItemKey(shard)) as never,
    NewImage: marshall({
      ...protectionItemKey(shard),
      kind: 'protection',
      shard,
      engaged,
      probeEngaged: false,
      leaseEngaged: engaged,
      failedTargets: 0,
      probedTargets: 0,
      expiredLeases: 30,
      leasedInstances: 100,
      atMs: 1_800_000_000_000,
    }) as never,
  },
});

it('publishes each shard guard change with its shard, in an order of its own', () => {
  const zero = classify(toStoredChange(stateRecord(0, true)))!;
  const one = classify(toStoredChange(stateRecord(1, false)))!;
  expect(zero).toMatchObject({ detailType: 'Registry Protection Engaged', detail: { shard: 0, engaged: true, leaseEngaged: true } });
  expect(one).toMatchObject({ detailType: 'Registry Protection Released', detail: { shard: 1, engaged: false } });
  // Two shards changing at the same moment are two events, not duplicates of one.
  expect(zero.detail.eventId).not.toBe(classify(toStoredChange(stateRecord(1, true)))!.detail.eventId);
  expect(zero.orderingKey).not.toBe(one.orderingKey);
  expect(protectionEventDetail.safeParse(one.detail).success).toBe(true);
});
